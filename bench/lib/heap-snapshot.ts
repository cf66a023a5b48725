/**
 * Reads V8 heap snapshots (the `.heapsnapshot` JSON that `--heapsnapshot-signal` writes)
 * and sums their nodes into groups, so that two snapshots of one process, taken
 * before and after N more connections, show what one connection costs and what
 * holds it.
 *
 * A group is a node's `type:name` (`object:IrcConnection`, `closure:line`, `array:`),
 * optionally followed by its retainer chain (`<- object:Socket ._events <- …`): the
 * first strong edge found that points at the node, `depth` levels up. V8 does not
 * say which retainer is "the" owner; the first strong one, with synthetic roots
 * avoided, names the owner in practice.
 */
import { readFileSync } from "node:fs";

interface SnapshotJson {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: readonly string[];
      readonly node_types: readonly [readonly string[], ...unknown[]];
      readonly edge_fields: readonly string[];
      readonly edge_types: readonly [readonly string[], ...unknown[]];
    };
  };
  readonly nodes: readonly number[];
  readonly edges: readonly number[];
  readonly strings: readonly string[];
}

export interface GroupTotal {
  count: number;
  bytes: number;
}

export interface SnapshotSummary {
  readonly totalBytes: number;
  readonly groups: ReadonlyMap<string, GroupTotal>;
}

/** Longest name kept in a group key: long closure names and array names would split groups. */
const NAME_CHARS = 40;

/** Sums the self sizes of a snapshot's nodes by group; `depth` retainer levels go into each key (0: none). */
export function summariseSnapshot(file: string, depth: number): SnapshotSummary {
  const snap = JSON.parse(readFileSync(file, "utf8")) as SnapshotJson;
  const meta = snap.snapshot.meta;
  const nodeFieldCount = meta.node_fields.length;
  const edgeFieldCount = meta.edge_fields.length;
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const typeAt = meta.node_fields.indexOf("type");
  const nameAt = meta.node_fields.indexOf("name");
  const sizeAt = meta.node_fields.indexOf("self_size");
  const edgeCountAt = meta.node_fields.indexOf("edge_count");
  const edgeTypeAt = meta.edge_fields.indexOf("type");
  const edgeNameAt = meta.edge_fields.indexOf("name_or_index");
  const edgeToAt = meta.edge_fields.indexOf("to_node");
  const { nodes, edges, strings } = snap;
  const nodeCount = nodes.length / nodeFieldCount;

  const label = (node: number): string => {
    const type = nodeTypes[nodes[node * nodeFieldCount + typeAt]!]!;
    // Strings and compiled code are grouped whole: their names are their contents.
    if (type.includes("string")) return `${type}:(string)`;
    if (type === "code") return "code:(code)";
    return `${type}:${String(strings[nodes[node * nodeFieldCount + nameAt]!]).slice(0, NAME_CHARS)}`;
  };

  const retainer = new Int32Array(depth > 0 ? nodeCount : 0).fill(-1);
  const retainerEdge: string[] = [];
  if (depth > 0) {
    let edge = 0;
    for (let node = 0; node < nodeCount; node++) {
      const count = nodes[node * nodeFieldCount + edgeCountAt]!;
      for (let k = 0; k < count; k++, edge += edgeFieldCount) {
        const type = edgeTypes[edges[edge + edgeTypeAt]!]!;
        if (type === "weak" || type === "shortcut") continue;
        const to = edges[edge + edgeToAt]! / nodeFieldCount;
        const known = retainer[to]!;
        if (known !== -1 && !label(known).startsWith("synthetic")) continue;
        retainer[to] = node;
        retainerEdge[to] = type === "element" || type === "hidden" ? `[${type}]` : String(strings[edges[edge + edgeNameAt]!]);
      }
    }
  }

  const groups = new Map<string, GroupTotal>();
  let totalBytes = 0;
  for (let node = 0; node < nodeCount; node++) {
    let key = label(node);
    for (let level = 0, at = node; level < depth; level++) {
      const up = retainer[at]!;
      if (up === -1) break;
      key += `  <- ${label(up)} .${retainerEdge[at]}`;
      at = up;
    }
    const bytes = nodes[node * nodeFieldCount + sizeAt]!;
    totalBytes += bytes;
    const group = groups.get(key);
    if (group) {
      group.count++;
      group.bytes += bytes;
    } else groups.set(key, { count: 1, bytes });
  }
  return { totalBytes, groups };
}

export interface GroupDelta {
  readonly key: string;
  /** Nodes per unit (per connection), after minus before. */
  readonly count: number;
  /** Bytes per unit. */
  readonly bytes: number;
}

/** What `after` holds more than `before`, divided by `units`, largest first (groups under `minBytes` per unit left out). */
export function diffSummaries(before: SnapshotSummary, after: SnapshotSummary, units: number, minBytes: number): { bytesPerUnit: number; groups: GroupDelta[] } {
  const keys = new Set([...before.groups.keys(), ...after.groups.keys()]);
  const groups: GroupDelta[] = [];
  for (const key of keys) {
    const a = before.groups.get(key) ?? { count: 0, bytes: 0 };
    const b = after.groups.get(key) ?? { count: 0, bytes: 0 };
    const bytes = (b.bytes - a.bytes) / units;
    if (Math.abs(bytes) >= minBytes) groups.push({ key, count: (b.count - a.count) / units, bytes });
  }
  groups.sort((x, y) => y.bytes - x.bytes);
  return { bytesPerUnit: (after.totalBytes - before.totalBytes) / units, groups };
}
