import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { captureRegistrations, triggerOf as find } from "../support/functionsCore.js";

const registered = captureRegistrations();

before(async () => {
  await import("../../functions/index.js");
});

const triggerOf = (name: string) => {
  const trigger = find(registered, name);
  assert.ok(trigger, `${name} was not registered; got ${registered.map((r) => r.name).join(", ")}`);
  return trigger;
};

describe("function registrations", () => {
  it("plan is a timer whose schedule is the ARCHIVER_SCHEDULE setting", () => {
    const trigger = triggerOf("plan");
    assert.equal(trigger.type, "timerTrigger");
    assert.equal(trigger.schedule, "%ARCHIVER_SCHEDULE%");
  });

  it("curate is a timer whose schedule is the ARCHIVER_CURATE_SCHEDULE setting", () => {
    const trigger = triggerOf("curate");
    assert.equal(trigger.type, "timerTrigger");
    assert.equal(trigger.schedule, "%ARCHIVER_CURATE_SCHEDULE%");
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
