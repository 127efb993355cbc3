/**
 * The usual SDK loop, the bench's baseline: one request at a time, the window's pages first, then
 * each record, then its participants, following every nextLink, waiting out a 429's Retry-After as
 * the SDK's retry handler does. Written on the bare transport rather than the archiver's Graph
 * client, so none of the client's overlapping (the record and its participants side by side)
 * flatters the ratio.
 */
import { createCredential } from "../shared/graph/credentials.js";
import type { ArchiverConfig } from "../shared/graph/graphConfig.js";
import { createNodeTransport } from "../shared/graph/httpTransport.js";
import { type TimeWindow, formatInstant } from "../shared/core/window.js";

interface Page {
  readonly value?: { readonly id: string }[];
  readonly "@odata.nextLink"?: string;
  readonly "sessions@odata.nextLink"?: string;
}

export function naiveLoop(config: ArchiverConfig, ca: string | undefined) {
  const transport = createNodeTransport({ ca });
  const credential = createCredential(config, { agent: transport.agent });
  const base = `${config.graph.graphEndpoint}/v1.0/communications/callRecords`;
  const get = async (url: string): Promise<Page> => {
    for (;;) {
      const token = await credential.getToken(`${config.graph.graphEndpoint}/.default`);
      const response = await transport.get(url, { Authorization: `Bearer ${token?.token ?? ""}`, Accept: "application/json" }, 30_000);
      if (response.status === 429) {
        await new Promise((resolve) => setTimeout(resolve, Number(response.headers["retry-after"] ?? 1) * 1000));
        continue;
      }
      if (response.status !== 200) throw new Error(`naive loop: HTTP ${response.status} for ${url}`);
      return JSON.parse(response.body) as Page;
    }
  };
  const follow = async (nextLink: string | undefined) => {
    for (let url = nextLink; url !== undefined; ) url = (await get(url))["@odata.nextLink"];
  };
  return {
    /** Every id of the window, page after page. */
    async listWindow(window: TimeWindow): Promise<string[]> {
      const filter = `startDateTime ge ${formatInstant(window.startInMs)} and startDateTime lt ${formatInstant(window.endInMs)}`;
      const ids: string[] = [];
      for (let url: string | undefined = `${base}?$filter=${encodeURIComponent(filter)}`; url !== undefined; ) {
        const page = await get(url);
        ids.push(...(page.value ?? []).map((r) => r.id));
        url = page["@odata.nextLink"];
      }
      return ids;
    },
    /** One record with its sessions, then its participants, one request after another. */
    async getRecord(id: string): Promise<void> {
      const record = await get(`${base}/${encodeURIComponent(id)}?$expand=${encodeURIComponent("sessions($expand=segments)")}`);
      await follow(record["sessions@odata.nextLink"]);
      const participants = await get(`${base}/${encodeURIComponent(id)}/participants_v2`);
      await follow(participants["@odata.nextLink"]);
    },
  };
}
