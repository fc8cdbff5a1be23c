// autocannon ships no type declarations; this is the slice the wrk fallback uses.
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
