/** Timer trigger: plans windows from the watermark and enqueues their jobs. */
import { app } from "@azure/functions";
import { planDeps } from "./azure.js";
import { makePlanHandler } from "./planHandler.js";

const handler = makePlanHandler(planDeps);

app.timer("plan", {
  // Resolved by the host from the app setting, so the schedule is configuration, not code.
  schedule: "%ARCHIVER_SCHEDULE%",
  handler: async (timer, context) => {
    await handler(timer, context);
  },
});
