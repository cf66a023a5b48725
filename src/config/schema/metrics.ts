import { z } from "zod";
import { parseListenAddress, type ListenAddress } from "../listen-address.js";
import { listenAddress } from "./fields.js";

export const metricsSection = z
  .strictObject({
    /** Prometheus metrics at GET /metrics (docs/operations.md#metrics); off = no route, no listener, nothing collected. */
    enabled: z.boolean().default(true),
    /**
     * Where /metrics is served: its own listeners (e.g. ["127.0.0.1:9464"], kept off the public web door);
     * empty = on the HTTP listeners (`http.listen`).
     */
    listen: z.array(listenAddress).default([]),
  })
  .prefault({});
