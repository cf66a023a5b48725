/**
 * For the store's scale tests: capture exactly the queries a repository sends, and ask
 * the database how it runs them (EXPLAIN), so a test asserts the index is used.
 */
import { CompiledQuery, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryId, type QueryResult, type RootOperationNode, type UnknownRow } from "kysely";
import type { Store } from "../../src/store/database.js";

/** Records every query the repository sends, so the test can EXPLAIN exactly that. */
export class CaptureQueries implements KyselyPlugin {
  readonly queries: Array<{ node: RootOperationNode; queryId: QueryId }> = [];
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.queries.push({ node: args.node, queryId: args.queryId });
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

/** The database's plan for `query`, one line per step (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN). */
export async function explain(store: Store, query: CompiledQuery): Promise<string> {
  const prefix = store.dialect === "sqlite" ? "EXPLAIN QUERY PLAN " : "EXPLAIN ";
  const result = await store.db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(prefix + query.sql, [...query.parameters]));
  return result.rows.map((row) => String(store.dialect === "sqlite" ? row["detail"] : row["QUERY PLAN"])).join("\n");
}
