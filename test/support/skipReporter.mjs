/**
 * A node:test reporter that ends the run with what was skipped, by name and reason, so a suite
 * skipped for a missing tool (the Bicep CLI, dotnet, Chromium) is never hidden behind "skipped 0"
 * (node's count leaves out suites skipped whole). Used beside the spec reporter by `npm test`.
 * Plain JavaScript: node loads reporters before any --import loader (tsx) is in place.
 *
 * @param {AsyncIterable<{ type: string, data: { name: string, skip?: string | boolean } }>} source
 */
export default async function* skipReporter(source) {
  const skipped = [];
  for await (const event of source) {
    if ((event.type === "test:pass" || event.type === "test:fail") && event.data.skip !== undefined && event.data.skip !== false) {
      const reason = typeof event.data.skip === "string" ? event.data.skip : "no reason given";
      skipped.push(`  ${event.data.name}: ${reason}`);
    }
  }
  yield skipped.length === 0 ? "\nskipped: none\n" : `\nskipped: ${skipped.length} (by name and reason)\n${skipped.join("\n")}\n`;
}
