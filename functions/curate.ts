/** Timer trigger: writes each final day, once, as the curated Parquet tables (curated/v2/). */
import { app } from "@azure/functions";
import { curateDeps } from "./azure.js";
import { makeCurateHandler } from "./curateHandler.js";

const handler = makeCurateHandler(curateDeps);

app.timer("curate", {
  schedule: "%ARCHIVER_CURATE_SCHEDULE%",
  handler: async (timer, context) => {
    await handler(timer, context);
  },
});
