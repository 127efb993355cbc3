/**
 * A stand-in for the Node.js language worker. The Functions host provides `@azure/functions-core`;
 * supplying it here makes `app.*` register with us instead of switching to test mode. Invoking a
 * function then goes the way the worker goes: the library's programming model builds the
 * invocation model from the host's request (`getInvocationModel` → `getArguments`, which converts
 * trigger data, model-binding data included), calls the handler (`invokeFunction`) and builds the
 * response (`getResponse`). Affects the whole process, which node:test gives each test file.
 */
import Module from "node:module";

export interface Registration {
  readonly name: string;
  readonly bindings: Record<string, Record<string, unknown>>;
}

/** The host's typed data (RpcTypedData), in the few shapes the archiver's triggers receive. */
export interface RpcTypedData {
  readonly string?: string;
  readonly json?: string;
  readonly bytes?: Uint8Array;
  readonly modelBindingData?: { readonly version: string; readonly source: string; readonly contentType: string; readonly content: Uint8Array };
}

interface InvocationContextLike {
  readonly invocationId: string;
}
interface InvocationModel {
  getArguments(): Promise<{ context: InvocationContextLike; inputs: unknown[] }>;
  invokeFunction(context: InvocationContextLike, inputs: unknown[], handler: FunctionCallback): Promise<unknown>;
  getResponse(context: InvocationContextLike, result: unknown): Promise<{ invocationId: string; returnValue?: RpcTypedData | null }>;
}
interface ProgrammingModel {
  getInvocationModel(coreContext: unknown): InvocationModel;
}
type FunctionCallback = (...args: unknown[]) => unknown;

export interface InvocationOutcome {
  /** The worker's status for the invocation: Success, or Failure with the thrown error's message. */
  readonly status: "Success" | "Failure";
  readonly error?: string;
  readonly returnValue?: RpcTypedData | null;
  /** Every line the function logged (user and system), as "level: message". */
  readonly logs: string[];
}

export interface FunctionsWorker {
  readonly registrations: Registration[];
  /** Hooks the app registered (appStart, appTerminate, …), as the worker keeps them. */
  readonly hooks: { name: string; callback: (context: unknown) => unknown }[];
  /** Invokes a registered function as the worker does, with the trigger's data as the host sends it. */
  invoke(name: string, trigger: RpcTypedData, triggerMetadata?: Record<string, RpcTypedData>): Promise<InvocationOutcome>;
}

let installed: FunctionsWorker | undefined;

export function installFunctionsWorker(): FunctionsWorker {
  if (installed) return installed;
  const registrations: Registration[] = [];
  const callbacks = new Map<string, FunctionCallback>();
  const hooks: { name: string; callback: (context: unknown) => unknown }[] = [];
  let programmingModel: ProgrammingModel | undefined;
  let invocations = 0;
  const fakeCore = {
    setProgrammingModel: (model: ProgrammingModel) => {
      programmingModel = model;
    },
    registerFunction: (metadata: Registration, callback: FunctionCallback) => {
      registrations.push(metadata);
      callbacks.set(metadata.name, callback);
      return { dispose: () => undefined };
    },
    registerHook: (name: string, callback: (context: unknown) => unknown) => {
      hooks.push({ name, callback });
      return { dispose: () => undefined };
    },
    log: () => undefined,
  };
  const loader = Module as unknown as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
    _cache: Record<string, unknown>;
  };
  const resolve = loader._resolveFilename;
  loader._resolveFilename = (request, ...rest) => (request === "@azure/functions-core" ? "@azure/functions-core" : resolve(request, ...rest));
  loader._cache["@azure/functions-core"] = { id: "@azure/functions-core", loaded: true, exports: fakeCore };

  installed = {
    registrations,
    hooks,
    async invoke(name, trigger, triggerMetadata = {}) {
      const registration = registrations.find((r) => r.name === name);
      const callback = callbacks.get(name);
      if (!registration || !callback || !programmingModel) throw new Error(`${name} is not registered`);
      const triggerName = Object.entries(registration.bindings).find(([, b]) => String(b.type).endsWith("Trigger"))?.[0];
      if (!triggerName) throw new Error(`${name} has no trigger binding`);
      const logs: string[] = [];
      const invocationId = `invocation-${++invocations}`;
      const model = programmingModel.getInvocationModel({
        invocationId,
        request: { invocationId, functionId: name, inputData: [{ name: triggerName, data: trigger }], triggerMetadata },
        metadata: { name, bindings: registration.bindings },
        state: "invocation",
        log: (level: string, _category: string, message: string) => logs.push(`${level}: ${message}`),
      });
      try {
        const { context, inputs } = await model.getArguments();
        const result = await model.invokeFunction(context, inputs, callback);
        const response = await model.getResponse(context, result);
        return { status: "Success", returnValue: response.returnValue, logs };
      } catch (error) {
        return { status: "Failure", error: error instanceof Error ? error.message : String(error), logs };
      }
    },
  };
  return installed;
}

/** Registrations only, for tests that read metadata. */
export const captureRegistrations = (): Registration[] => installFunctionsWorker().registrations;

/** The trigger binding of a registered function. */
export function triggerOf(registered: readonly Registration[], name: string): Record<string, unknown> | undefined {
  const registration = registered.find((r) => r.name === name);
  return registration && Object.values(registration.bindings).find((b) => String(b.type).endsWith("Trigger"));
}
