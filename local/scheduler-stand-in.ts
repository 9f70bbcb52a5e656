import {
  DeleteScheduleCommand,
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  ListSchedulesCommand,
  ResourceNotFoundException,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

/**
 * Stand-in for EventBridge Scheduler's firing: the emulator stores schedules but never runs them. Every
 * tick, this lists the schedules of one group in the emulator, fires each one-time `at()` schedule that is
 * due (StartExecution of its Step Functions target with its Input, or an invocation of its Lambda target) and then
 * deletes it when its
 * `ActionAfterCompletion` is DELETE, as the service does. `rate()`/`cron()` schedules are not fired.
 */
export interface SchedulerStandInOptions {
  readonly scheduler: SchedulerClient;
  /** Client of the Step Functions the targets live in (the local stand-in). */
  readonly stepFunctions: SFNClient;
  readonly groupName: string;
  /** Runs a Lambda target with the schedule's input (by the function's ARN). @default Lambda targets are refused */
  readonly invokeFunction?: (functionArn: string, input: unknown) => Promise<unknown>;
  /** @default 1000 */
  readonly intervalMs?: number;
  readonly now?: () => Date;
  readonly onError?: (error: unknown) => void;
  readonly onFire?: (scheduleName: string, executionArn: string) => void;
}

export interface SchedulerStandIn {
  /** One pass: fires what is due. Returns the names of the schedules fired. */
  tick(): Promise<string[]>;
  stop(): Promise<void>;
}

/** The instant of an `at(yyyy-mm-ddThh:mm:ss)` expression in `timezone` (UTC and fixed offsets supported). */
export function atExpressionTime(expression: string, timezone = 'UTC'): Date | undefined {
  const match = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expression.trim());
  if (!match) return undefined;
  const local = new Date(`${match[1]}Z`);
  if (timezone === 'UTC' || timezone === 'Etc/UTC' || timezone === 'GMT') return local;
  // Other zones: the offset of `timezone` at that instant, from Intl.
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' })
    .formatToParts(local)
    .find((p) => p.type === 'timeZoneName')?.value;
  const offset = /GMT([+-])(\d{2}):(\d{2})/.exec(parts ?? '');
  if (!offset) return local;
  const minutes = (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3]));
  return new Date(local.getTime() - minutes * 60_000);
}

function isFunction(arn: string): boolean {
  return /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:/.test(arn);
}

function isStateMachine(arn: string): boolean {
  return /^arn:aws[a-z-]*:states:[^:]+:\d{12}:stateMachine:/.test(arn);
}

/** A schedule of the group, or undefined when it was deleted meanwhile. */
async function readSchedule(
  options: SchedulerStandInOptions,
  name: string,
): Promise<GetScheduleCommandOutput | undefined> {
  try {
    return await options.scheduler.send(new GetScheduleCommand({ Name: name, GroupName: options.groupName }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** An enabled one-time schedule whose time has come (and is not past its end date). */
function isDue(schedule: GetScheduleCommandOutput, now: Date): boolean {
  const at = atExpressionTime(schedule.ScheduleExpression ?? '', schedule.ScheduleExpressionTimezone ?? 'UTC');
  if (!at || at.getTime() > now.getTime() || schedule.State === 'DISABLED') return false;
  return !(schedule.EndDate && schedule.EndDate.getTime() < at.getTime());
}

/** ActionAfterCompletion DELETE: the fired schedule goes (already gone is fine). */
async function deleteSchedule(options: SchedulerStandInOptions, name: string): Promise<void> {
  try {
    await options.scheduler.send(new DeleteScheduleCommand({ Name: name, GroupName: options.groupName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
}

export function startSchedulerStandIn(options: SchedulerStandInOptions): SchedulerStandIn {
  const now = options.now ?? (() => new Date());
  const fired = new Set<string>();
  let running: Promise<string[]> | undefined;
  let stopped = false;

  async function fire(schedule: GetScheduleCommandOutput): Promise<boolean> {
    const name = schedule.Name as string;
    const target = schedule.Target;
    if (target?.Arn && isFunction(target.Arn) && options.invokeFunction) {
      await options.invokeFunction(target.Arn, JSON.parse(target.Input ?? '{}'));
      options.onFire?.(name, target.Arn);
      return true;
    }
    if (!target?.Arn || !isStateMachine(target.Arn)) {
      options.onError?.(new Error(`schedule ${name}: only Step Functions and Lambda targets are fired locally`));
      return false;
    }
    const executionName = `${name}-${now().getTime()}`.slice(0, 80);
    const started = await options.stepFunctions.send(
      new StartExecutionCommand({ stateMachineArn: target.Arn, name: executionName, input: target.Input ?? '{}' }),
    );
    options.onFire?.(name, started.executionArn ?? '');
    return true;
  }

  async function tick(): Promise<string[]> {
    const due: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await options.scheduler.send(
        new ListSchedulesCommand({ GroupName: options.groupName, State: 'ENABLED', NextToken: nextToken }),
      );
      for (const summary of page.Schedules ?? []) {
        const key = `${options.groupName}/${summary.Name}`;
        if (!summary.Name || fired.has(key)) continue;
        const schedule = await readSchedule(options, summary.Name);
        if (!schedule || !isDue(schedule, now()) || !(await fire(schedule))) continue;
        fired.add(key);
        due.push(summary.Name);
        if (schedule.ActionAfterCompletion === 'DELETE') {
          await deleteSchedule(options, summary.Name);
          fired.delete(key); // gone: a new schedule of the same name may be created later
        }
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return due;
  }

  /** Serialized: a slow pass is never overlapped by the next one. */
  const serialTick = () => {
    running ??= tick().finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer = setInterval(() => {
    if (stopped) return;
    serialTick().catch((error: unknown) => options.onError?.(error));
  }, options.intervalMs ?? 1000);
  timer.unref();

  return {
    tick: serialTick,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
