/**
 * Checks a 6-field NCRONTAB expression as the Functions host reads timer schedules:
 * `{second} {minute} {hour} {day} {month} {day-of-week}`, each field `*`, a number, a range
 * `a-b`, a step `*\/n` or `a-b/n`, or a comma list of those; months and days of the week may be
 * named (`Jan`, `Mon`). Pure: answers what is wrong, or undefined.
 */
const fields = [
  { name: "second", min: 0, max: 59 },
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] },
  { name: "day-of-week", min: 0, max: 6, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
] as const;

export function ncrontabProblem(expression: string): string | undefined {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) return `expected 6 fields ({second} {minute} {hour} {day} {month} {day-of-week}), got ${parts.length}`;
  for (const [i, field] of fields.entries()) {
    const part = parts[i] as string;
    const value = (text: string): number | undefined => {
      if (/^\d+$/.test(text)) return Number(text);
      const index = "names" in field ? (field.names as readonly string[]).indexOf(text.toLowerCase()) : -1;
      return index >= 0 ? index + field.min : undefined;
    };
    for (const item of part.split(",")) {
      const [range, step, extra] = item.split("/");
      if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) return `the ${field.name} field "${part}" has a bad step`;
      if (range === "*") continue;
      const [low, high, more] = (range ?? "").split("-");
      const from = value(low ?? "");
      const to = high === undefined ? from : value(high);
      if (more !== undefined || from === undefined || to === undefined) return `the ${field.name} field "${part}" is not a number, range or name`;
      if (from < field.min || to > field.max || from > to) return `the ${field.name} field "${part}" is outside ${field.min}-${field.max}`;
    }
  }
  return undefined;
}
