import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The stack's DynamoDB tables, with the key schemas of infra/resources/core.yml, for moto. `names` gives a
 * table the name CloudFormation would (e.g. `<stack>-ActivityTable-1A2B…`, which the CLI finds by prefix).
 */
export async function createStackTables(
  dynamodb: DynamoDBClient,
  prefix: string,
  names: { activityTable?: string } = {},
): Promise<{ idempotencyTable: string; activityTable: string }> {
  const idempotencyTable = `${prefix}-idempotency`;
  const activityTable = names.activityTable ?? `${prefix}-activity`;
  await dynamodb.send(
    new CreateTableCommand({
      TableName: idempotencyTable,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await dynamodb.send(
    new CreateTableCommand({
      TableName: activityTable,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return { idempotencyTable, activityTable };
}
