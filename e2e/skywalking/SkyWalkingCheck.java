// Sonde's end-to-end checks against a SkyWalking OAP server, run by e2e/skywalking/run as a single-file
// program (`java SkyWalkingCheck.java ...`, JDK 17, no dependencies), so the script needs neither curl nor jq.
//   ready <oap pid> <timeout s>   wait until the OAP's Zipkin, PromQL and LogQL HTTP APIs answer (or the OAP died)
//   check <since epoch s> <timeout s>   read Sonde's spans, metrics and logs back, retrying until all are there
// Ports come from the same environment variables the OAP's application.yml reads.
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

public final class SkyWalkingCheck {
    static final String SERVICE = "order-service";
    // Zipkin's span model lower-cases names: Sonde's "OrderService.createOrder" is "orderservice.createorder".
    static final List<String> SPAN_NAMES = List.of("orderservice.createorder", "orderservice.findorder");
    static final List<String> METRICS = List.of("meter_sonde_calls", "meter_sonde_program_runs",
            "meter_sonde_latency_us_percentile");
    // Sonde's sonde.records.dropped (span and log records lost: full rings, failed exports, dropped batches).
    // The agent logs nothing when an export fails, so this is where a partial loss shows: it must be 0.
    static final String DROPPED = "meter_sonde_records_dropped";

    // HTTP/1.1: no h2c upgrade attempt on the OAP's plain-text ports.
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    static final String ZIPKIN = "http://127.0.0.1:" + env("SW_QUERY_ZIPKIN_REST_PORT", "9412") + "/zipkin/api/v2";
    static final String PROMQL = "http://127.0.0.1:" + env("SW_PROMQL_REST_PORT", "9090") + "/api/v1";
    static final String LOGQL = "http://127.0.0.1:" + env("SW_LOGQL_REST_PORT", "3100") + "/loki/api/v1";
    // The flight recorder's relay lines ("<seq> <Class.method> <ns> ns ret=<value>"), exported as OTLP logs.
    static final List<String> LOG_METHODS = List.of("dev.sonde.samples.OrderService.createOrder",
            "dev.sonde.samples.OrderService.findOrder");

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("ready")) {
            System.exit(ready(Long.parseLong(args[1]), Long.parseLong(args[2])));
        } else if (args.length == 3 && args[0].equals("check")) {
            System.exit(check(Long.parseLong(args[1]), Long.parseLong(args[2])));
        }
        System.err.println("usage: java SkyWalkingCheck.java ready <oap pid> <timeout s> | check <since epoch s> <timeout s>");
        System.exit(2);
    }

    static int ready(long pid, long timeoutSeconds) throws InterruptedException {
        long start = System.nanoTime(), deadline = start + timeoutSeconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
                System.err.println("e2e: the OAP (pid " + pid + ") exited while starting; see its log above");
                return 1;
            }
            long now = System.currentTimeMillis() / 1000;
            if (answers(ZIPKIN + "/services") && answers(PROMQL + "/status/buildinfo")
                    && answers(LOGQL + "/labels?start=" + (now - 60) + "000000000&end=" + now + "000000000")) {
                System.out.printf("e2e: OAP ready (Zipkin, PromQL and LogQL APIs answer) %.1f s after this wait began%n",
                        (System.nanoTime() - start) / 1e9);
                return 0;
            }
            Thread.sleep(500);
        }
        System.err.println("e2e: the OAP did not answer on " + ZIPKIN + ", " + PROMQL + " and " + LOGQL + " within " + timeoutSeconds
                + " s; raise SW_OAP_START_TIMEOUT (slow machine) or read its log");
        return 1;
    }

    static boolean answers(String url) {
        try {
            return get(url).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Retries the whole check until it passes: the OAP persists what it received every few seconds. */
    static int check(long since, long timeoutSeconds) throws Exception {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        List<String> problems;
        while (true) {
            List<String> found = new ArrayList<>();
            problems = new ArrayList<>();
            try {
                checkTraces(since, found, problems);
                for (String metric : METRICS) checkMetric(metric, since, true, found, problems);
                checkMetric(DROPPED, since, false, found, problems);
                checkLogs(since, found, problems);
            } catch (IOException e) {
                // A connection the OAP closed under a reused one ("EOF reached while reading"): ask again.
                problems.add("query failed: " + e);
            }
            if (problems.isEmpty()) {
                found.forEach(line -> System.out.println("e2e: " + line));
                System.out.println("e2e: PASS - Sonde's spans, metrics and logs were read back from SkyWalking");
                return 0;
            }
            if (System.nanoTime() > deadline) break;
            Thread.sleep(2000);
        }
        System.err.println("e2e: FAIL after " + timeoutSeconds + " s of retries:");
        problems.forEach(p -> System.err.println("e2e:   " + p));
        return 1;
    }

    @SuppressWarnings("unchecked")
    static void checkTraces(long since, List<String> found, List<String> problems) throws Exception {
        List<Object> services = (List<Object>) json(ZIPKIN + "/services");
        if (!services.contains(SERVICE)) {
            problems.add("Zipkin API: service '" + SERVICE + "' not among " + services);
            return;
        }
        long lookbackMs = Math.max(60_000, (System.currentTimeMillis() / 1000 - since + 60) * 1000);
        List<Object> traces = (List<Object>) json(ZIPKIN + "/traces?serviceName=" + SERVICE + "&limit=1000&lookback="
                + lookbackMs + "&endTs=" + (System.currentTimeMillis() + 60_000));
        Map<String, Integer> byName = new TreeMap<>();
        TreeSet<String> functions = new TreeSet<>();
        int spans = 0, wrong = 0, timed = 0;
        for (Object trace : traces) {
            for (Object o : (List<Object>) trace) {
                Map<String, Object> span = (Map<String, Object>) o;
                Map<String, Object> tags = (Map<String, Object>) span.getOrDefault("tags", Map.of());
                Map<String, Object> local = (Map<String, Object>) span.getOrDefault("localEndpoint", Map.of());
                spans++;
                byName.merge(String.valueOf(span.get("name")), 1, Integer::sum);
                functions.add(String.valueOf(tags.get("code.function")));
                // What Sonde's span exporter puts on each span: the probed class, the service, its start time.
                boolean ok = "dev.sonde.samples.OrderService".equals(tags.get("code.namespace"))
                        && SERVICE.equals(local.get("serviceName"))
                        && span.get("timestamp") instanceof Number t && t.longValue() / 1_000_000 >= since - 5;
                if (!ok) wrong++;
                // Zipkin counts microseconds and leaves a zero duration out: a sub-microsecond call has none.
                if (span.get("duration") instanceof Number d && d.longValue() > 0) timed++;
            }
        }
        for (String name : SPAN_NAMES) {
            if (!byName.containsKey(name)) problems.add("Zipkin API: no span named '" + name + "' yet (spans by name: " + byName + ")");
        }
        if (wrong > 0) problems.add("Zipkin API: " + wrong + " of " + spans + " spans lack Sonde's code.namespace, the service or a recent timestamp");
        if (timed == 0) problems.add("Zipkin API: none of " + spans + " spans has a duration");
        found.add("Zipkin API: " + traces.size() + " traces, " + spans + " spans of " + SERVICE + " (" + timed
                + " with a duration); by name " + byName + "; code.function " + functions);
    }

    @SuppressWarnings("unchecked")
    /** positive: some value must be > 0; else there must be values and all of them 0. */
    static void checkMetric(String metric, long since, boolean positive, List<String> found, List<String> problems)
            throws Exception {
        long now = System.currentTimeMillis() / 1000;
        String query = metric + "{service='" + SERVICE + "',layer='GENERAL'}";
        Map<String, Object> answer = (Map<String, Object>) json(PROMQL + "/query_range?query=" + enc(query)
                + "&start=" + (since - 60) + "&end=" + (now + 60) + "&step=60");
        if (!"success".equals(answer.get("status"))) {
            problems.add("PromQL API: " + query + " -> " + answer);
            return;
        }
        double max = 0;
        int points = 0;
        StringBuilder values = new StringBuilder();
        for (Object o : (List<Object>) ((Map<String, Object>) answer.get("data")).get("result")) {
            Map<String, Object> series = (Map<String, Object>) o;
            Map<String, Object> labels = new TreeMap<>((Map<String, Object>) series.get("metric"));
            labels.keySet().removeAll(List.of("__name__", "layer", "scope", "service"));
            values.append(values.length() == 0 ? "" : ", ").append(labels.isEmpty() ? "" : labels + " ");
            List<Object> seriesValues = (List<Object>) series.get("values");
            // Of percentiles only the median must be > 0: SkyWalking files the highest bucket of an exponential
            // histogram under le=+Inf, so a p99 there reads Long.MAX_VALUE, which proves nothing.
            boolean counts = !labels.containsKey("p") || "50".equals(labels.get("p"));
            for (int k = 0; k < seriesValues.size(); k++, points++) {
                String value = String.valueOf(((List<Object>) seriesValues.get(k)).get(1));
                if (counts) max = Math.max(max, Double.parseDouble(value));
                values.append(k == 0 ? "" : " ").append(value);
            }
        }
        if (positive && max <= 0) {
            problems.add("PromQL API: " + query + " has no value > 0 yet (" + points + " points)");
        } else if (!positive && (points == 0 || max != 0)) {
            problems.add("PromQL API: " + query + " should be 0 (" + points + " points: " + values + ")");
        } else {
            found.add("PromQL API: " + query + " per minute: " + values);
        }
    }

    @SuppressWarnings("unchecked")
    static void checkLogs(long since, List<String> found, List<String> problems) throws Exception {
        long now = System.currentTimeMillis() / 1000;
        String query = "{service=\"" + SERVICE + "\"}";
        Map<String, Object> answer = (Map<String, Object>) json(LOGQL + "/query_range?query=" + enc(query)
                + "&start=" + (since - 60) + "000000000&end=" + (now + 60) + "000000000&limit=1000&direction=BACKWARD");
        if (!"success".equals(answer.get("status"))) {
            problems.add("LogQL API: " + query + " -> " + answer);
            return;
        }
        Map<String, Integer> byMethod = new TreeMap<>();
        String example = null;
        int lines = 0;
        for (Object o : (List<Object>) ((Map<String, Object>) answer.get("data")).get("result")) {
            for (Object v : (List<Object>) ((Map<String, Object>) o).get("values")) {
                String line = String.valueOf(((List<Object>) v).get(1));
                lines++;
                for (String method : LOG_METHODS) {
                    if (line.contains(" " + method + " ")) {
                        byMethod.merge(method.substring(method.lastIndexOf('.') + 1), 1, Integer::sum);
                        example = line;
                    }
                }
            }
        }
        if (byMethod.size() < LOG_METHODS.size()) {
            problems.add("LogQL API: " + query + ": " + lines + " lines, not yet one per method of " + LOG_METHODS + " (" + byMethod + ")");
        } else {
            found.add("LogQL API: " + query + ": " + lines + " flight-recorder lines, by method " + byMethod + ", e.g. \"" + example + "\"");
        }
    }

    static Object json(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = get(url);
        if (r.statusCode() != 200) throw new IOException("GET " + url + " -> HTTP " + r.statusCode() + ": " + r.body());
        return new Json(r.body()).value();
    }

    static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : v;
    }

    /** Just enough JSON for the two APIs' answers: objects, arrays, strings, numbers, booleans, null. */
    static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object value() {
            skip();
            char c = s.charAt(i);
            if (c == '{') {
                Map<String, Object> m = new LinkedHashMap<>();
                i++;
                skip();
                if (s.charAt(i) == '}') { i++; return m; }
                do {
                    skip();
                    String k = string();
                    skip();
                    expect(':');
                    m.put(k, value());
                    skip();
                } while (s.charAt(i++) == ',');
                return m;
            }
            if (c == '[') {
                List<Object> l = new ArrayList<>();
                i++;
                skip();
                if (s.charAt(i) == ']') { i++; return l; }
                do {
                    l.add(value());
                    skip();
                } while (s.charAt(i++) == ',');
                return l;
            }
            if (c == '"') return string();
            int start = i;
            while (i < s.length() && ",}] \n\r\t".indexOf(s.charAt(i)) < 0) i++;
            String word = s.substring(start, i);
            switch (word) {
                case "true": return Boolean.TRUE;
                case "false": return Boolean.FALSE;
                case "null": return null;
                default: return word.contains(".") || word.contains("e") || word.contains("E")
                        ? (Object) Double.parseDouble(word) : (Object) Long.parseLong(word);
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            for (char c; (c = s.charAt(i++)) != '"'; ) {
                if (c != '\\') { b.append(c); continue; }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n': b.append('\n'); break;
                    case 't': b.append('\t'); break;
                    case 'r': b.append('\r'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'u': b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
                    default: b.append(e);
                }
            }
            return b.toString();
        }

        private void expect(char c) {
            if (s.charAt(i) != c) throw new IllegalArgumentException("JSON: expected '" + c + "' at " + i + " in " + s);
            i++;
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }
    }
}
