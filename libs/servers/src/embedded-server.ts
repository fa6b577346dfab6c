/** A server this library started, or found running and reuses. */
export interface EmbeddedServer {
  url: string;
  port: number;
  /** True when the server was already running (started by another process or an earlier call). */
  reused: boolean;
  /** Stops the server if this call started it; a reused server is left to its owner. */
  stop(): Promise<void>;
}
