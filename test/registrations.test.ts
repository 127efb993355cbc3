import assert from "node:assert/strict";
import Module from "node:module";
import { before, describe, it } from "node:test";

interface Registration {
  name: string;
  bindings: Record<string, Record<string, unknown>>;
}
const registered: Registration[] = [];

// The Functions host provides `@azure/functions-core`; supplying it here makes `app.*` register
// with us instead of switching to test mode, so the real registrations can be read.
const fakeCore = {
  setProgrammingModel: () => undefined,
  registerFunction: (metadata: Registration) => {
    registered.push(metadata);
    return { dispose: () => undefined };
  },
};
const loader = Module as unknown as {
  _resolveFilename: (request: string, ...rest: unknown[]) => string;
  _cache: Record<string, unknown>;
};
const resolve = loader._resolveFilename;
loader._resolveFilename = (request, ...rest) => (request === "@azure/functions-core" ? "@azure/functions-core" : resolve(request, ...rest));
loader._cache["@azure/functions-core"] = { id: "@azure/functions-core", loaded: true, exports: fakeCore };

before(async () => {
  await import("../functions/index.js");
});

const triggerOf = (name: string) => {
  const registration = registered.find((r) => r.name === name);
  assert.ok(registration, `${name} was not registered; got ${registered.map((r) => r.name).join(", ")}`);
  return Object.values(registration.bindings).find((b) => String(b.type).endsWith("Trigger")) ?? {};
};

describe("function registrations", () => {
  it("plan is a timer whose schedule is the ARCHIVER_SCHEDULE setting", () => {
    const trigger = triggerOf("plan");
    assert.equal(trigger.type, "timerTrigger");
    assert.equal(trigger.schedule, "%ARCHIVER_SCHEDULE%");
  });

  it("harvest is a Service Bus queue trigger on ARCHIVER_QUEUE_NAME, identity connection ARCHIVER_SERVICEBUS, settled by hand", () => {
    const trigger = triggerOf("harvest");
    assert.equal(trigger.type, "serviceBusTrigger");
    assert.equal(trigger.queueName, "%ARCHIVER_QUEUE_NAME%");
    assert.equal(trigger.connection, "ARCHIVER_SERVICEBUS");
    assert.equal(trigger.autoCompleteMessages, false);
    assert.equal(trigger.sdkBinding, true);
  });
});
