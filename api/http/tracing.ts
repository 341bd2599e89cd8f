// A server span per API request when tracing is on (runtime/tracing.ts), named after the route template
// (`POST /campaigns/:id/launch`), continuing the caller's trace when it sends a W3C `traceparent`. The Temporal
// client's interceptor then carries it into the workflows it starts or signals.
// Hand-written rather than @opentelemetry/instrumentation-http/-express: those patch modules through require
// hooks, which this ESM (tsx) code base does not load without a loader flag on every command; the span is a
// dozen lines. Only the method, route template and status are recorded: no query string, no body (personal data).
import type { RequestHandler } from 'express';
import type { Tracing } from '../../runtime/tracing';

export function requestSpans(t: Tracing): RequestHandler {
  const { context, propagation, trace, SpanKind, SpanStatusCode } = t.otel;
  return (req, res, next) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = t.tracer.startSpan(req.method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } }, parent);
    const ctx = trace.setSpan(parent, span);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = req.route?.path as string | undefined;
      if (route) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    // The body parser and the handlers run in the request's stream callbacks: bound to the span's context so that
    // the handler's Temporal calls see it as active.
    context.bind(ctx, req);
    context.bind(ctx, res);
    context.with(ctx, next);
  };
}
