// autocannon ships no type declarations; this is the slice load.ts uses.
declare module 'autocannon' {
  interface Request {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    /** Stop after this many requests instead of after `duration`. */
    amount?: number;
    overallRate?: number;
    requests?: (Request & {
      setupRequest?: (req: Request) => Request;
      onResponse?: (status: number, body: string) => void;
    })[];
  }
  interface Result {
    duration: number;
    errors: number;
    timeouts: number;
    latency: { p50: number; p99: number };
  }
  export default function autocannon(options: Options): Promise<Result>;
}
