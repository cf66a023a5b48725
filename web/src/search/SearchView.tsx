/**
 * Search over every message the account may read (the server applies the history read rule). Results
 * come newest first, a page at a time; choosing one asks the app to open its conversation at that message.
 */
import { useEffect, useId, useRef, useState } from "preact/hooks";
import type { AuthedFetch } from "../api/authed-fetch.js";
import { failureMessage } from "../api/problem-detail.js";
import { highlight } from "./highlight.js";
import { stripFormatting } from "../ui/irc-formatting.js";
import { searchMessages, type Conversation, type SearchHit } from "./search-api.js";
import "../ui/pane.css";
import "./search.css";
import { background } from "../background.js";

export interface SearchViewProps {
  readonly fetch: AuthedFetch;
  readonly onOpen: (hit: { conversation: Conversation; msgid: string; time: string }) => void;
}

interface Results {
  /** The words these results are for (the box may have changed since). */
  readonly query: string;
  readonly hits: readonly SearchHit[];
  readonly next: string | null;
}

/**
 * The last search of this page's session, so that coming back from a result finds the list where it
 * was. Keyed by the session's fetch: another account on the same page starts empty.
 */
let remembered: { owner: AuthedFetch; words: string; results: Results | null } | null = null;

const TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : TIME.format(date);
}

function conversationLabel(conversation: Conversation): string {
  return conversation.kind === "channel" ? conversation.name : `Direct: ${conversation.with}`;
}

function HitText(props: { text: string; query: string }) {
  return (
    <span class="search-hit-text" dir="auto">
      {highlight(stripFormatting(props.text), props.query).map((segment, index) => (segment.match ? <mark key={index}>{segment.text}</mark> : segment.text))}
    </span>
  );
}

export function SearchView(props: SearchViewProps) {
  const kept = remembered?.owner === props.fetch ? remembered : null;
  const [words, setWords] = useState(kept?.words ?? "");
  const [results, setResults] = useState<Results | null>(kept?.results ?? null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const headingId = useId();
  useEffect(() => {
    remembered = { owner: props.fetch, words, results };
  }, [props.fetch, words, results]);
  // A new search supersedes one still on its way; its late answer is dropped.
  const sequence = useRef(0);

  const run = async (query: string, before: string | null) => {
    const mine = ++sequence.current;
    setBusy(true);
    setError(null);
    try {
      const page = await searchMessages(props.fetch, query, before);
      if (mine !== sequence.current) return;
      setResults((previous) => ({
        query,
        hits: before !== null && previous ? [...previous.hits, ...page.results] : page.results,
        next: page.next,
      }));
    } catch (failure) {
      if (mine === sequence.current) setError(failureMessage(failure));
    } finally {
      if (mine === sequence.current) setBusy(false);
    }
  };

  const submit = (event: Event) => {
    event.preventDefault();
    const query = words.trim();
    if (query === "") return;
    setResults(null);
    background(run(query, null));
  };

  const summary = busy
    ? "Searching…"
    : results === null
      ? ""
      : results.hits.length === 0
        ? `No messages match “${results.query}”.`
        : `${results.hits.length}${results.next ? "+" : ""} ${results.hits.length === 1 ? "message" : "messages"} match “${results.query}”.`;

  return (
    <section class="pane search" aria-labelledby={headingId}>
      <h2 id={headingId}>Search</h2>
      <form role="search" class="search-form" onSubmit={submit}>
        <input
          type="search"
          class="pane-input"
          aria-label="Search messages"
          placeholder="Search messages"
          value={words}
          enterKeyHint="search"
          onInput={(event) => setWords(event.currentTarget.value)}
        />
        <button type="submit" disabled={busy || words.trim() === ""}>
          Search
        </button>
      </form>
      <p role="status" class="search-summary">
        {summary}
      </p>
      {error && (
        <p role="alert" class="pane-error">
          {error}
        </p>
      )}
      {results && results.hits.length > 0 && (
        <ol class="pane-list search-results" aria-label="Search results">
          {results.hits.map((hit) => (
            <li key={hit.msgid}>
              <button type="button" class="search-hit" onClick={() => props.onOpen({ conversation: hit.conversation, msgid: hit.msgid, time: hit.time })}>
                <span class="search-hit-head">
                  <span class="search-hit-conversation">{conversationLabel(hit.conversation)}</span>
                  <span class="search-hit-from">{hit.kind === "action" ? `* ${hit.from}` : hit.from}</span>
                  <time dateTime={hit.time}>{formatTime(hit.time)}</time>
                </span>
                <HitText text={hit.text} query={results.query} />
              </button>
            </li>
          ))}
        </ol>
      )}
      {results?.next && (
        <button type="button" class="search-more" disabled={busy} onClick={() => background(run(results.query, results.next))}>
          More
        </button>
      )}
    </section>
  );
}
