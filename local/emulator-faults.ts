/**
 * Client of the emulator's fault switches (`local/emulator/patches/fault_injection.py`, `/_dsenv/faults`), for
 * tests: make CloudFormation throttle, fail a create or a delete, create slowly, or leave a tagged network
 * interface behind.
 */
export interface ThrottleFault {
  /** CloudFormation action, e.g. `CreateStack`. */
  readonly action: string;
  /** How many of the next calls answer `Throttling`. */
  readonly count: number;
  /** Only calls about this stack (name or id). @default any */
  readonly stackName?: string;
}

export interface CreateFailureFault {
  /** Top-level stack name; its nested stacks are included. @default any stack */
  readonly stackName?: string;
  /** Logical id of the resource that fails to create (in any of the templates). */
  readonly resource: string;
  readonly message?: string;
  /** Roll back as CloudFormation's default OnFailure does: resources deleted, ROLLBACK_COMPLETE. @default false */
  readonly rollback?: boolean;
}

export interface DeleteFailureFault {
  readonly stackName: string;
  /** How many DeleteStack calls end DELETE_FAILED. @default always */
  readonly times?: number;
  /** Logical id named as the resource that failed to delete. @default NetworkStack */
  readonly resource?: string;
  readonly message?: string;
}

export interface LingerFault {
  /** Stack whose deletion leaves the interface behind. */
  readonly stackName: string;
  /** Value of the `dsenv:environment-id` tag on the interface. */
  readonly environmentId: string;
  /** Seconds until the interface is released. @default never */
  readonly seconds?: number;
}

export interface SlowCreateFault {
  /** Only this top-level stack. @default every stack created while armed */
  readonly stackName?: string;
  /** Seconds the stack reports CREATE_IN_PROGRESS before its real outcome. */
  readonly seconds: number;
  /** How many stack creations are slowed. @default every one while armed */
  readonly times?: number;
}

export interface ArmedFaults {
  throttle: (ThrottleFault & { count: number })[];
  failCreate: CreateFailureFault[];
  failDelete: DeleteFailureFault[];
  lingerAfterDelete: LingerFault[];
  slowCreate: SlowCreateFault[];
}

export interface FaultSpec {
  readonly throttle?: ThrottleFault;
  readonly failCreate?: CreateFailureFault;
  readonly failDelete?: DeleteFailureFault;
  readonly lingerAfterDelete?: LingerFault;
  readonly slowCreate?: SlowCreateFault;
}

export interface EmulatorFaults {
  /** Arms the faults given (adds to those armed) and returns everything armed. */
  arm(spec: FaultSpec): Promise<ArmedFaults>;
  armed(): Promise<ArmedFaults>;
  clear(): Promise<void>;
}

export function emulatorFaults(emulatorUrl: string): EmulatorFaults {
  const url = `${emulatorUrl.replace(/\/$/, '')}/_dsenv/faults`;
  const send = async (method: string, body?: FaultSpec): Promise<ArmedFaults> => {
    const res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return JSON.parse(text) as ArmedFaults;
  };
  return {
    arm: (spec) => send('POST', spec),
    armed: () => send('GET'),
    clear: async () => {
      await send('DELETE');
    },
  };
}
