import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { projectRoot } from "../support/bicep.js";

// lake/synapse/views.sql through Microsoft's own T-SQL parser (ScriptDom, from NuGet), as
// Synapse's dialect (TSql160 and TSql170): no Synapse workspace runs here, but its parser does.
interface ParseResult {
  readonly file: string;
  readonly parser: string;
  readonly errors: readonly { line: number; column: number; message: string }[];
}

const tool = join(projectRoot, "test", "support", "tsqlParse", "TsqlParse.csproj");
const dotnet = await promisify(execFile)("dotnet", ["--version"]).then(
  () => true,
  () => false,
);
// CI installs dotnet (for the Bicep CLI too): there, a missing SDK fails the suite instead of skipping.
if (!dotnet && process.env.CI === "true") throw new Error("ScriptDom checks cannot run with CI=true: dotnet is not on PATH");
const skip = dotnet ? false : "skipped: dotnet is not on PATH (the .NET SDK runs Microsoft's T-SQL parser)";

async function parse(...files: string[]): Promise<ParseResult[]> {
  const { stdout } = await promisify(execFile)("dotnet", ["run", "--project", tool, "--", ...files], { maxBuffer: 16 * 1024 * 1024, timeout: 300_000 });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "[]") as ParseResult[];
}

describe("the Synapse views, parsed by Microsoft's ScriptDom", { skip }, () => {
  let scratch = "";
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), "tsql-"));
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  it("every statement of lake/synapse/views.sql parses, with no error, as TSql160 and TSql170", async () => {
    const results = await parse(join(projectRoot, "lake", "synapse", "views.sql"));
    assert.deepEqual(results.map((r) => r.parser), ["TSql160", "TSql170"]);
    for (const r of results) assert.deepEqual(r.errors, [], `${r.parser}: ${JSON.stringify(r.errors)}`);
  });

  it("lake/synapse/tenants.sql (the views over other tenants too) parses, with no error, as TSql160 and TSql170", async () => {
    const results = await parse(join(projectRoot, "lake", "synapse", "tenants.sql"));
    for (const r of results) assert.deepEqual(r.errors, [], `${r.parser}: ${JSON.stringify(r.errors)}`);
    const text = await readFile(join(projectRoot, "lake", "synapse", "tenants.sql"), "utf8");
    assert.ok(text.includes("BULK 'callrecords/v1/tenant=*/year=*/month=*/day=*/hour=*/*.jsonl.gz'"));
    assert.ok(text.includes("CAST(f.filepath(1) AS VARCHAR(36)) AS [tenant_id]"));
  });

  it("would fail on a reserved word left unbracketed: [identity] written as identity", async () => {
    const views = await readFile(join(projectRoot, "lake", "synapse", "views.sql"), "utf8");
    assert.ok(views.includes("p.[identity]"), "the views no longer read p.[identity]: choose another reserved word to show the test can fail");
    const unbracketed = join(scratch, "unbracketed.sql");
    await writeFile(unbracketed, views.replaceAll("p.[identity]", "p.identity"));
    const [first] = await parse(unbracketed);
    assert.match(first?.errors[0]?.message ?? "", /Incorrect syntax near 'identity'/);
  });
});
