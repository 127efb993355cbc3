/**
 * The `$filter` forms Graph accepts on call records, and nothing more: comparisons on
 * startDateTime (ge, gt, le, lt) and `participants_v2/any(p:p/id eq '…')`, joined by `and`.
 * Anything else is a 400, as Graph answers it.
 */

export interface CallFilter {
  readonly fromInMs: number;
  readonly fromInclusive: boolean;
  readonly toInMs: number;
  readonly toInclusive: boolean;
  readonly participantId: string | undefined;
}

export class FilterError extends Error {
  override readonly name = "FilterError";
}

const comparison = /^startDateTime\s+(ge|gt|le|lt)\s+(\S+)$/i;
const participant = /^participants_v2\/any\((\w+):\s*\1\/id\s+eq\s+'([^']*)'\)$/i;

export function parseCallFilter(raw: string | null): CallFilter {
  let filter: CallFilter = {
    fromInMs: Number.NEGATIVE_INFINITY,
    fromInclusive: true,
    toInMs: Number.POSITIVE_INFINITY,
    toInclusive: false,
    participantId: undefined,
  };
  if (raw === null || raw.trim() === "") return filter;
  for (const clause of raw.trim().split(/\s+and\s+/i)) {
    const text = clause.trim().replace(/^\((.*)\)$/, "$1");
    const cmp = comparison.exec(text);
    if (cmp) {
      const op = (cmp[1] as string).toLowerCase();
      const value = cmp[2] as string;
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
        throw new FilterError(`Invalid DateTimeOffset literal '${value}' in $filter`);
      }
      const ms = Date.parse(value);
      if (op === "ge" || op === "gt") filter = { ...filter, fromInMs: ms, fromInclusive: op === "ge" };
      else filter = { ...filter, toInMs: ms, toInclusive: op === "le" };
      continue;
    }
    const part = participant.exec(text);
    if (part) {
      filter = { ...filter, participantId: part[2] };
      continue;
    }
    throw new FilterError(`Unsupported filter clause '${text}'. Only startDateTime (ge, gt, le, lt) and participants_v2/any(p:p/id eq '<id>') are supported.`);
  }
  return filter;
}

export function matchesStart(filter: CallFilter, startInMs: number): boolean {
  const afterFrom = filter.fromInclusive ? startInMs >= filter.fromInMs : startInMs > filter.fromInMs;
  const beforeTo = filter.toInclusive ? startInMs <= filter.toInMs : startInMs < filter.toInMs;
  return afterFrom && beforeTo;
}
