/**
 * The functions' log lines that alerts and the workbook read: an event name, a space, then one
 * JSON object of fields. Queries take the fields with `parse_json(substring(message, indexof(message, "{")))`
 * rather than a regular expression over prose, so wording can change without silencing an alert.
 */
import type { InvocationContext } from "@azure/functions";

export type EventLevel = "info" | "warn" | "error";

export const eventLine = (name: string, fields: Record<string, unknown>): string => `${name} ${JSON.stringify(fields)}`;

export function logEvent(context: InvocationContext, level: EventLevel, name: string, fields: Record<string, unknown>): void {
  const line = eventLine(name, fields);
  if (level === "error") context.error(line);
  else if (level === "warn") context.warn(line);
  else context.log(line);
}
