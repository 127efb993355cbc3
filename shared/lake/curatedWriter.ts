/**
 * Writes one day of the raw layer as the five curated tables, one zstd Parquet file each, with
 * memory bounded by a row group per table rather than by the day: a first pass over the day's
 * files finds the latest version of each call (every version of a call is in its window's hour
 * folder), a second pass turns those lines into rows, flushed every `rowGroupRows` rows.
 * `hyparquet-writer` (pure JavaScript) writes the files and `@bokuweb/zstd-wasm` compresses them:
 * chosen by measurement, README "The curated layer".
 */
import { Readable } from "node:stream";
import { join } from "node:path";
import { dataLinesOf } from "../archive/dataLines.js";
import { init as initZstd, compress as zstd } from "@bokuweb/zstd-wasm";
import { ParquetWriter, fileWriter } from "hyparquet-writer";
import type { SchemaElement } from "hyparquet-writer";
import { type CuratedColumn, type CuratedTable, type CuratedTableName, type CuratedValue, curatedTables, lineRank } from "./curatedTables.js";

/** One data file of the day: its hour folder, its pass, and its gzip bytes. */
export interface DayFile {
  readonly name: string;
  readonly hour: number;
  readonly pass: number;
  read(): Promise<Buffer>;
}

export interface CuratedFile {
  readonly table: CuratedTableName;
  readonly file: string;
  readonly rows: number;
}

export interface CuratedDayResult {
  readonly files: readonly CuratedFile[];
  /** Lines read, and calls kept (one per id: its latest version). */
  readonly lines: number;
  readonly calls: number;
}

const schemaElement = (column: CuratedColumn): SchemaElement => {
  const base = { name: column.name, repetition_type: "OPTIONAL" } as const;
  switch (column.type) {
    case "string":
      return { ...base, type: "BYTE_ARRAY", converted_type: "UTF8" };
    case "int":
      return { ...base, type: "INT32" };
    case "bigint":
      return { ...base, type: "INT64" };
    case "double":
      return { ...base, type: "DOUBLE" };
    case "boolean":
      return { ...base, type: "BOOLEAN" };
    case "timestamp":
      return { ...base, type: "INT64", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" } };
  }
};

/** A day file's records; a bad line is named by file and number, never quoted (it is call content). */
async function* linesOf(file: DayFile): AsyncGenerator<Record<string, unknown>> {
  yield* dataLinesOf(file.name, Readable.from([await file.read()]));
}

/** A table being written: column buffers flushed as one row group at a time. */
class TableOutput {
  readonly file: string;
  rows = 0;
  private buffered: CuratedValue[][];
  private readonly writer: ParquetWriter;

  constructor(readonly table: CuratedTable, outDir: string, private readonly rowGroupRows: number) {
    this.file = join(outDir, `${table.name}.parquet`);
    this.buffered = table.columns.map(() => []);
    this.writer = new ParquetWriter({
      writer: fileWriter(this.file),
      schema: [{ name: "root", num_children: table.columns.length }, ...table.columns.map(schemaElement)],
      codec: "ZSTD",
      compressors: { ZSTD: (bytes: Uint8Array) => zstd(bytes, 3) },
      createdBy: "callrecords-archiver",
    });
  }

  /** Buffers a row; answers whether a row group is full and should be flushed. */
  add(row: readonly CuratedValue[]): boolean {
    row.forEach((value, i) => this.buffered[i]?.push(value));
    this.rows += 1;
    return (this.buffered[0]?.length ?? 0) >= this.rowGroupRows;
  }

  async flush(): Promise<void> {
    const count = this.buffered[0]?.length ?? 0;
    if (count === 0) return;
    const columnData = this.table.columns.map((c, i) => ({ name: c.name, data: this.buffered[i] as CuratedValue[] }));
    this.buffered = this.table.columns.map(() => []);
    await this.writer.write({ columnData, rowGroupSize: count });
  }

  async finish(): Promise<void> {
    await this.flush();
    await this.writer.finish();
  }
}

/**
 * zstd's WebAssembly module, initialised once per process. A second `init()` after `compress()`
 * has run leaves later `compress()` calls answering all-zero frames, and a warm Functions worker
 * curates many days in one process: every day after the first would be corrupt.
 */
let zstdReady: Promise<void> | undefined;
const zstdOnce = (): Promise<void> => (zstdReady ??= initZstd());

export async function writeCuratedDay(files: readonly DayFile[], outDir: string, options: { rowGroupRows?: number } = {}): Promise<CuratedDayResult> {
  await zstdOnce();
  // Pass 1: the latest (version, complete before incomplete, pass) of each call in its hour.
  const latest = new Map<string, number>();
  const rank = lineRank;
  let lines = 0;
  for (const file of files) {
    for await (const line of linesOf(file)) {
      lines += 1;
      const key = `${file.hour}|${String(line.id)}`;
      const r = rank(line, file.pass);
      if (r > (latest.get(key) ?? -1)) latest.set(key, r);
    }
  }
  // Pass 2: the rows of the latest versions, each once (a version archived twice is kept once).
  const outputs = curatedTables.map((table) => new TableOutput(table, outDir, options.rowGroupRows ?? 50_000));
  for (const file of files) {
    for await (const line of linesOf(file)) {
      const key = `${file.hour}|${String(line.id)}`;
      if (latest.get(key) !== rank(line, file.pass)) continue;
      latest.delete(key);
      for (const output of outputs) {
        for (const row of output.table.rowsOf(line, file.hour)) if (output.add(row)) await output.flush();
      }
    }
  }
  for (const output of outputs) await output.finish();
  const calls = outputs.find((o) => o.table.name === "calls")?.rows ?? 0;
  return { files: outputs.map((o) => ({ table: o.table.name, file: o.file, rows: o.rows })), lines, calls };
}

/**
 * One small table as one zstd Parquet file, one row group: a telephony log's day (thousands of
 * rows, where a day of call records is millions of stream rows).
 */
export async function writeParquetFile(file: string, columns: readonly CuratedColumn[], rows: readonly (readonly CuratedValue[])[]): Promise<void> {
  await zstdOnce();
  const writer = new ParquetWriter({
    writer: fileWriter(file),
    schema: [{ name: "root", num_children: columns.length }, ...columns.map(schemaElement)],
    codec: "ZSTD",
    compressors: { ZSTD: (bytes: Uint8Array) => zstd(bytes, 3) },
    createdBy: "callrecords-archiver",
  });
  if (rows.length > 0) await writer.write({ columnData: columns.map((c, i) => ({ name: c.name, data: rows.map((row) => row[i] ?? null) })), rowGroupSize: rows.length });
  await writer.finish();
}
