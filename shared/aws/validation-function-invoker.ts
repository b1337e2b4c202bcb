import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { ValidationFunctionInvoker } from '../use-cases/restore-drill.js';

/** The Region named in a Lambda function ARN, or undefined for a plain function name. */
export function functionRegion(functionName: string): string | undefined {
  return /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):\d{12}:function:/.exec(functionName)?.[1];
}

/**
 * Invokes a plan's validation function synchronously: a function ARN is invoked in its own Region, a name in
 * the stack's Region. A function error is returned (not thrown) so the drill can report it as the function's.
 */
export class LambdaValidationInvoker implements ValidationFunctionInvoker {
  constructor(
    private readonly clientFor: (region: string) => LambdaClient,
    private readonly defaultRegion: string,
  ) {}

  async invoke(functionName: string, payload: unknown): Promise<{ functionError: string | null; payload: unknown }> {
    const client = this.clientFor(functionRegion(functionName) ?? this.defaultRegion);
    const result = await client.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
    );
    const text = result.Payload ? new TextDecoder().decode(result.Payload) : '';
    let answer: unknown = text;
    try {
      answer = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text, the use case reports it as a malformed answer
    }
    if (result.FunctionError) {
      const { errorType, errorMessage } = (answer ?? {}) as { errorType?: string; errorMessage?: string };
      return { functionError: `${errorType ?? result.FunctionError}: ${errorMessage ?? text}`, payload: answer };
    }
    return { functionError: null, payload: answer };
  }
}
