import type { Context } from 'aws-lambda';
import type { Clock } from '../../functions/domain/ports.js';

/**
 * What unit tests share: a clock they set, and the Lambda context a handler receives. Import from here rather
 * than writing another copy.
 */

/** A clock that stands still until the test moves it. */
export class FixedClock implements Clock {
  constructor(public current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  set(iso: string): void {
    this.current = new Date(iso);
  }
  advanceMinutes(minutes: number): void {
    this.current = new Date(this.current.getTime() + minutes * 60_000);
  }
}

/** The Lambda context of a function named `functionName` (what Powertools and middy read). */
export function lambdaContextFor(
  functionName: string,
  overrides: Partial<Pick<Context, 'awsRequestId' | 'callbackWaitsForEmptyEventLoop' | 'logStreamName'>> = {},
): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/25/[$LATEST]abc',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    ...overrides,
  };
}
