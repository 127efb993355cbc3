import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { projectRoot } from "../support/bicep.js";
import { kustoProblems } from "../support/kusto.js";

// The queries the documentation hands an operator are checked like the deployed ones: by
// Microsoft's Kusto language service, against the columns Azure Monitor documents.
describe("KQL in the README and docs/", () => {
  it("every ```kusto block parses and names only documented tables and columns", async () => {
    const files = ["README.md", ...(await readdir(join(projectRoot, "docs"))).filter((f) => f.endsWith(".md")).map((f) => join("docs", f))];
    let blocks = 0;
    for (const file of files) {
      const text = await readFile(join(projectRoot, file), "utf8");
      for (const match of text.matchAll(/^( *)```(?:kusto|kql)\n([\s\S]*?)^\1```/gm)) {
        blocks += 1;
        const query = (match[2] as string).split("\n").map((line) => line.slice((match[1] as string).length)).join("\n");
        assert.deepEqual(kustoProblems(query), [], `${file}:\n${query}`);
      }
    }
    assert.ok(blocks >= 1, "the README's audit query is among them");
  });
});
