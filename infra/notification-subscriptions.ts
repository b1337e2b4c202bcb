/**
 * Email subscriptions of the notifications topic, from the deploy parameter `--param="alertEmails=a@b,c@d"`.
 * CloudFormation cannot loop over a list, so each address becomes its own AWS::SNS::Subscription here, with a
 * logical id derived from the address: reordering the list never re-creates (and re-confirms) a subscription.
 */
import { createHash } from 'node:crypto';

const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

export function alertSubscriptionResources(alertEmails: string | null | undefined): { Resources: Record<string, unknown> } {
  const emails = [...new Set((alertEmails ?? '').split(',').map((email) => email.trim()).filter(Boolean))];
  const invalid = emails.filter((email) => !EMAIL.test(email));
  if (invalid.length) {
    throw new Error(`alertEmails: ${invalid.map((email) => `"${email}"`).join(', ')} ${invalid.length === 1 ? 'is not an email address' : 'are not email addresses'} (expected --param="alertEmails=ops@example.com,oncall@example.com")`);
  }
  const Resources: Record<string, unknown> = {};
  for (const email of emails) {
    const id = createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 10);
    Resources[`AlertEmailSubscription${id}`] = {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: { Ref: 'NotificationsTopic' }, Protocol: 'email', Endpoint: email },
    };
  }
  return { Resources };
}
