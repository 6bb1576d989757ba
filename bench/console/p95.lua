-- wrk reporting hook: the latency percentiles wrk's --latency table leaves
-- out (p95), and the request and error counts, one "KEY value" per line.
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
                 summary.errors.status + summary.errors.timeout
  io.write(string.format("VIGIL_P50_US %d\n", latency:percentile(50)))
  io.write(string.format("VIGIL_P95_US %d\n", latency:percentile(95)))
  io.write(string.format("VIGIL_P99_US %d\n", latency:percentile(99)))
  io.write(string.format("VIGIL_REQUESTS %d\n", summary.requests))
  io.write(string.format("VIGIL_DURATION_US %d\n", summary.duration))
  io.write(string.format("VIGIL_ERRORS %d\n", errors))
end
