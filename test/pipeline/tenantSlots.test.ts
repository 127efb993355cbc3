import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TenantSlots, slotCap } from "../../shared/pipeline/harvest/tenantSlots.js";

describe("the harvest's slots between tenants", () => {
  it("caps a tenant at its share, and a throttled or failing tenant at one slot", () => {
    assert.equal(slotCap({ running: 0, pausedForInMs: 0, failuresInARow: 0 }, 2), 2);
    assert.equal(slotCap({ running: 0, pausedForInMs: 30_000, failuresInARow: 1 }, 2), 2, "a pause of 30 s is not yet throttled");
    assert.equal(slotCap({ running: 0, pausedForInMs: 30_001, failuresInARow: 0 }, 2), 1);
    assert.equal(slotCap({ running: 0, pausedForInMs: 0, failuresInARow: 2 }, 3), 1);
    assert.equal(slotCap({ running: 0, pausedForInMs: 0, failuresInARow: 0 }, 0), 1, "never none: a tenant always has its probe");
  });

  it("caps nothing while it has seen one tenant only (a single-tenant deployment)", () => {
    const slots = new TenantSlots(2);
    const taken = [1, 2, 3, 4].map(() => slots.tryTake(undefined, 60_000));
    assert.ok(taken.every((t) => t !== undefined));
  });

  it("counts running harvests per tenant, frees once, and forgets failures after a success", () => {
    const slots = new TenantSlots(2);
    slots.tryTake(undefined, 0)?.();
    const a1 = slots.tryTake("a", 0);
    const a2 = slots.tryTake("a", 0);
    assert.ok(a1 && a2);
    assert.equal(slots.tryTake("a", 0), undefined, "a third for the same tenant yields");
    assert.ok(slots.tryTake(undefined, 0), "the home tenant has its own slots");
    a1();
    a1();
    const a3 = slots.tryTake("a", 0);
    assert.ok(a3, "freed once, not twice");
    assert.equal(slots.tryTake("a", 0), undefined);
    a2();
    a3();
    slots.ended("a", true);
    slots.ended("a", true);
    const probe = slots.tryTake("a", 0);
    assert.ok(probe);
    assert.equal(slots.tryTake("a", 0), undefined, "failing twice in a row: one slot");
    probe();
    slots.ended("a", false);
    assert.ok(slots.tryTake("a", 0) && slots.tryTake("a", 0), "a success gives its share back");
  });
});
