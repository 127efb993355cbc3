/**
 * Reads call records from Microsoft Graph: every page of a window, and every session, segment and
 * participant of a record. Acts on the retry policy's decisions; never decides them itself.
 */
import {
  type CallRecordDocument,
  type CallRecordSummary,
  type JsonObject,
  assertSummary,
  parseJsonObject,
  parsePage,
  withoutPagingAnnotations,
} from "./callRecord.js";
import type { Clock } from "../core/clock.js";
import type { GraphConfig } from "./graphConfig.js";
import type { TokenSource } from "./credentials.js";
import { ForeignNextLinkError, GraphAnswerTooLargeError, GraphPagingError, GraphRequestError, type PagedList, RecordExpiredError } from "../core/errors.js";
import type { GraphCounters, RetryAfterLedger } from "./graphCounters.js";
import { type HttpResponse, type HttpTransport, bodyTooLargeCode, isTransportError } from "./httpTransport.js";
import type { RequestGovernor, RequestScope } from "./requestGovernor.js";
import { type GraphOutcome, decideRetry } from "./retryPolicy.js";
import { type TimeWindow, formatInstant, formatWindow } from "../core/window.js";
import { type LogSourceName, logSources, rangeOf } from "../core/sources.js";

export interface GraphClientDeps {
  readonly tokens: TokenSource;
  readonly transport: HttpTransport;
  readonly governor: RequestGovernor;
  /**
   * Paces the telephony logs' requests under their own, far lower limits (200 / 60 s per app per
   * tenant, 50 / 60 s per log), apart from call records, which never wait behind them. Default:
   * `governor`.
   */
  readonly logGovernor?: RequestGovernor;
  readonly clock: Clock;
  readonly counters: GraphCounters;
  /** The process's Retry-After wall time, if it is kept. */
  readonly retryAfter?: RetryAfterLedger;
  readonly random?: () => number;
  /** Told how long each answer took, to size concurrency by latency. */
  readonly observeLatency?: (ms: number) => void;
}

/**
 * The most pages one chain of nextLinks may take before it is called a loop: far above what any
 * real answer needs. A window's listing: 10,000 pages (600,000 records at Graph's 60 a page, six
 * times the busiest hour the benchmark runs); a record's sessions: 1,000 pages (60,000 sessions,
 * twelve times a 5,000-session meeting); its participants: 1,000 pages (130,000 participants).
 */
export const maxPagesOf: Readonly<Record<PagedList, number>> = { list: 10_000, sessions: 1_000, participants: 1_000 };

/**
 * Remembers the links one chain followed: a link that comes back, or a chain past its bound,
 * fails at once instead of paging forever.
 */
class PageChain {
  private readonly followed = new Set<string>();
  constructor(
    private readonly list: PagedList,
    private readonly subject: string,
  ) {}

  /** Pages followed so far. */
  get size(): number {
    return this.followed.size;
  }

  /** Records `url` as the next page to read; throws GraphPagingError if it cannot be. */
  visit(url: string): void {
    if (this.followed.has(url)) throw new GraphPagingError(this.list, this.subject, "repeatedLink", this.followed.size);
    if (this.followed.size >= maxPagesOf[this.list]) throw new GraphPagingError(this.list, this.subject, "tooManyPages", maxPagesOf[this.list]);
    this.followed.add(url);
  }
}

/** At most this much of Graph's own error message is kept: it is free text, and may quote a request. */
const graphMessageLimit = 200;

/** A record whose sessions or participants page in a loop: archived as far as it was read. */
export interface PagingLoopOfRecord {
  readonly list: "sessions" | "participants";
  /** Pages of that list read before the loop was seen, its first page included. */
  readonly pagesRead: number;
  readonly error: GraphPagingError;
}

export interface FetchedRecord {
  readonly document: CallRecordDocument;
  /** False where the cloud serves no participants_v2 list (national clouds). */
  readonly participantsListed: boolean;
  /** Set when a list of the record pages in a loop: the document holds the pages read before it. */
  readonly loop?: PagingLoopOfRecord;
}

export class GraphClient {
  private readonly base: string;
  private readonly random: () => number;

  constructor(
    private readonly config: GraphConfig,
    private readonly deps: GraphClientDeps,
  ) {
    this.base = `${config.graphEndpoint}/v1.0/communications/callRecords`;
    this.random = deps.random ?? Math.random;
  }

  /** The list URL of a half-open window [start, end). */
  windowUrl(window: TimeWindow): string {
    const filter = `startDateTime ge ${formatInstant(window.startInMs)} and startDateTime lt ${formatInstant(window.endInMs)}`;
    return `${this.base}?$filter=${encodeURIComponent(filter)}`;
  }

  /**
   * Yields the window's records page by page, following every nextLink verbatim. `signal` stops
   * the listing (an in-flight request included) when the job that reads it has already failed.
   */
  async *listWindow(window: TimeWindow, signal?: AbortSignal): AsyncGenerator<CallRecordSummary[]> {
    let url: string | undefined = this.windowUrl(window);
    const prefer = { Prefer: `odata.maxpagesize=${this.config.pageSize}` };
    const chain = new PageChain("list", formatWindow(window));
    while (url !== undefined) {
      chain.visit(url);
      const body = await this.getJson(url, false, prefer, signal);
      const page = parsePage(body, url);
      for (const record of page.value) assertSummary(record, url);
      this.deps.counters.pages += 1;
      this.deps.counters.records += page.value.length;
      yield page.value as CallRecordSummary[];
      url = page.nextLink;
    }
  }

  /** The URL of a telephony log's window: Graph's function with the window's two instants. */
  logWindowUrl(source: LogSourceName, window: TimeWindow): string {
    const { fromDateTime, toDateTime } = rangeOf(window);
    return `${this.base}/${logSources[source].graphFunction}(fromDateTime=${fromDateTime},toDateTime=${toDateTime})`;
  }

  /**
   * Yields a telephony log's rows for a window page by page (Graph's 1,000 a page, `$skip`
   * nextLinks followed verbatim), paced by the logs' governor. Rows are answered as Graph sent
   * them: which belong to the window is the harvest's decision (sources.ts rowInWindow).
   */
  async *listLog(source: LogSourceName, window: TimeWindow, signal?: AbortSignal): AsyncGenerator<JsonObject[]> {
    let url: string | undefined = this.logWindowUrl(source, window);
    const chain = new PageChain("list", `${logSources[source].label} ${formatWindow(window)}`);
    const governor = this.deps.logGovernor ?? this.deps.governor;
    while (url !== undefined) {
      chain.visit(url);
      const page = parsePage(await this.getJson(url, false, {}, signal, governor), url);
      this.deps.counters.pages += 1;
      this.deps.counters.records += page.value.length;
      yield page.value;
      url = page.nextLink;
    }
  }

  /**
   * One record with all sessions (and segments) and all participants, as one Graph-shaped
   * document. The record and its participants are read side by side: neither needs the other. A
   * list of the record that pages in a loop ends the reading of that list, not the record: what
   * was read is answered, with `loop` saying which list and how far.
   */
  async getRecord(id: string, signal?: AbortSignal): Promise<FetchedRecord> {
    const url = `${this.base}/${encodeURIComponent(id)}?$expand=${encodeURIComponent("sessions($expand=segments)")}`;
    const readRecord = async () => {
      const body = await this.getJson(url, true, {}, signal);
      assertSummary(body, url);
      const sessions = parsePage(body, url, "sessions", "sessions@odata.nextLink");
      const rest = await this.followPages(new PageChain("sessions", id), url, sessions.nextLink, signal);
      const document: CallRecordDocument = { ...withoutPagingAnnotations(body), sessions: [...sessions.value, ...rest.items] };
      return { document, loop: rest.loop };
    };
    if (!this.config.hasParticipantsList) {
      const { document, loop } = await readRecord();
      return { document, participantsListed: false, ...(loop ? { loop } : {}) };
    }

    const participantsUrl = `${this.base}/${encodeURIComponent(id)}/participants_v2`;
    const readParticipants = async () => {
      const first = parsePage(await this.getJson(participantsUrl, true, {}, signal), participantsUrl);
      const rest = await this.followPages(new PageChain("participants", id), participantsUrl, first.nextLink, signal);
      return { items: [...first.value, ...rest.items], loop: rest.loop };
    };
    const [record, participants] = await Promise.all([readRecord(), readParticipants()]);
    record.document.participants_v2 = participants.items;
    const loop = record.loop ?? participants.loop;
    return { document: record.document, participantsListed: true, ...(loop ? { loop } : {}) };
  }

  /**
   * The rest of a chain whose first page, `firstUrl`, has been read: its items, and the loop that
   * ended it early, if one did.
   */
  private async followPages(
    chain: PageChain,
    firstUrl: string,
    nextLink: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ items: JsonObject[]; loop: PagingLoopOfRecord | undefined }> {
    const items: JsonObject[] = [];
    chain.visit(firstUrl);
    let url = nextLink;
    while (url !== undefined) {
      try {
        chain.visit(url);
      } catch (error) {
        if (!(error instanceof GraphPagingError) || error.list === "list") throw error;
        return { items, loop: { list: error.list, pagesRead: chain.size, error } };
      }
      const page = parsePage(await this.getJson(url, true, {}, signal), url);
      items.push(...page.value);
      url = page.nextLink;
    }
    return { items, loop: undefined };
  }

  /** GET with pacing, retries and token refresh; answers the parsed JSON object of a 2xx. */
  private async getJson(
    url: string,
    isRecordRequest: boolean,
    extraHeaders: Record<string, string>,
    signal: AbortSignal | undefined,
    governor: RequestGovernor = this.deps.governor,
  ): Promise<JsonObject> {
    this.assertOwnOrigin(url);
    const { counters, clock, tokens, transport, retryAfter } = this.deps;
    const scope: RequestScope = isRecordRequest ? { kind: "record", id: recordIdOf(url) } : { kind: "list" };
    /** The first 401 on the token this request last met 401 with: its next token is fetched after it. */
    let fetchedSince: number | undefined;
    for (let attempt = 1; ; attempt += 1) {
      signal?.throwIfAborted();
      await governor.acquire(scope, signal);
      const token = await tokens.getToken(fetchedSince);
      signal?.throwIfAborted();
      counters.requests += 1;
      const sentAt = clock.now();
      const { outcome, response } = await this.send(
        transport,
        url,
        { Authorization: `Bearer ${token.value}`, Accept: "application/json", ...extraHeaders },
        signal,
      );
      const unauthorized = outcome.kind === "response" && outcome.status === 401;
      if (!unauthorized && outcome.kind === "response") tokens.accepted(token);
      const freshTokenRejected = unauthorized && fetchedSince !== undefined && token.fetchedAt >= fetchedSince && !tokens.wasAccepted(token);
      const decision = decideRetry(
        outcome,
        { attempt, isRecordRequest, freshTokenRejected, random: this.random },
        {
          maxAttempts: this.config.maxAttempts,
          baseDelayInMs: this.config.retryBaseDelayInMs,
          maxDelayInMs: this.config.maxRetryDelayInMs,
        },
        clock.now(),
      );
      switch (decision.action) {
        case "success":
          governor.answered(scope, { kind: "accepted" }, sentAt);
          return parseJsonObject((response as HttpResponse).body, url);
        case "refreshTokenAndRetry":
          counters.retries.unauthorized += 1;
          fetchedSince = tokens.rejected(token);
          continue;
        case "retry":
          counters.retries[decision.cause] += 1;
          if (decision.cause === "throttled") {
            counters.throttledInMs += decision.delayInMs;
            retryAfter?.note(decision.delayInMs);
            governor.answered(scope, { kind: "throttled", retryAfterInMs: decision.delayInMs }, sentAt);
          }
          await clock.sleep(decision.delayInMs, signal);
          continue;
        case "fail":
          if (decision.reason === "expired") {
            counters.expired += 1;
            throw new RecordExpiredError(recordIdOf(url));
          }
          throw this.failure(decision.reason, outcome, response, url, attempt);
      }
    }
  }

  private async send(transport: HttpTransport, url: string, headers: Record<string, string>, signal: AbortSignal | undefined) {
    try {
      const sentAt = this.deps.clock.now();
      const response = await transport.get(url, headers, this.config.requestTimeoutInMs, signal);
      this.deps.observeLatency?.(this.deps.clock.now() - sentAt);
      const outcome: GraphOutcome = {
        kind: "response",
        status: response.status,
        retryAfterHeader: response.headers["retry-after"],
      };
      return { outcome, response };
    } catch (error) {
      if (!isTransportError(error)) throw error;
      // The same request would bring the same body back: not a passing fault.
      if (error.code === bodyTooLargeCode) throw new GraphAnswerTooLargeError(this.config.maxBodyBytes, url);
      const outcome: GraphOutcome =
        error.code === "TIMEOUT" ? { kind: "timeout" } : { kind: "networkError", code: error.code };
      return { outcome, response: undefined };
    }
  }

  private assertOwnOrigin(url: string): void {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      throw new ForeignNextLinkError(url, this.config.graphEndpoint);
    }
    if (origin !== this.config.graphEndpoint) throw new ForeignNextLinkError(url, this.config.graphEndpoint);
  }

  private failure(
    reason: string,
    outcome: GraphOutcome,
    response: HttpResponse | undefined,
    url: string,
    attempts: number,
  ): GraphRequestError {
    const graphError = response ? readGraphError(response.body) : undefined;
    const status = response?.status;
    const detail = graphError ? ` ${graphError.code}: ${truncate(graphError.message, graphMessageLimit)}` : "";
    const what = outcome.kind === "response" ? `HTTP ${outcome.status}` : outcome.kind === "timeout" ? "timeout" : outcome.code;
    const message =
      reason === "forbidden"
        ? `Graph refused access (403).${detail} The identity needs the application permission CallRecords.Read.All, granted with admin consent.`
        : reason === "unauthorized"
          ? `Graph rejected the token twice (401).${detail} Check the tenant, client id and credential.`
          : reason === "exhausted"
            ? `Graph request failed after ${attempts} attempts (last: ${what}).${detail}`
            : `Graph request failed (${what}).${detail}`;
    return new GraphRequestError(message, status, graphError?.code, url);
  }
}

const truncate = (text: string, limit: number) => (text.length <= limit ? text : `${text.slice(0, limit)}… (${text.length - limit} more characters)`);

function readGraphError(body: string): { code: string; message: string } | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const error = (parsed as { error?: { code?: unknown; message?: unknown } }).error;
    if (error && typeof error.code === "string") {
      return { code: truncate(error.code, 100), message: typeof error.message === "string" ? error.message : "" };
    }
  } catch {
    // not a Graph error body; the status alone will have to do
  }
  return undefined;
}

function recordIdOf(url: string): string {
  const match = /callRecords\/([^/?]+)/.exec(url);
  return match?.[1] ? decodeURIComponent(match[1]) : url;
}
