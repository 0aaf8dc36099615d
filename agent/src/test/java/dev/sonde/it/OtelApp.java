package dev.sonde.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/**
 * An application for the OpenTelemetry Java agent and Sonde together: JDK {@code HttpClient} calls to its own JDK
 * {@code HttpServer} on loopback (what the OpenTelemetry agent instruments) and a plain method only Sonde probes.
 * Prints {@code RESULT} and {@code READY}, runs again on each {@code run} line, stops when stdin closes.
 */
public final class OtelApp {
    private static HttpClient client;
    private static URI uri;

    private OtelApp() {
    }

    /** Only Sonde probes this one, keyed by its argument. */
    public static int score(int i) {
        return i * 7 % 5;
    }

    /** One HTTP call through the JDK client: a client span for the OpenTelemetry agent; counted by Sonde. */
    public static int call(int i) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(uri.resolve("/hello?i=" + i)).GET().build();
        HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 && r.body().equals("hello " + i) ? 1 : 0;
    }

    /** The server side; a class Sonde's later probe file targets while it is loaded already. */
    static final class Hello implements HttpHandler {
        @Override
        public void handle(HttpExchange ex) throws IOException {
            String q = ex.getRequestURI().getQuery();
            byte[] body = ("hello " + q.substring(q.indexOf('=') + 1)).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hello", new Hello());
        server.start();
        uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        runOnce(n);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("run")) {
                runOnce(n);
            }
        }
        server.stop(0);
    }

    private static void runOnce(int n) throws Exception {
        int ok = 0;
        long score = 0;
        for (int i = 0; i < n; i++) {
            ok += call(i);
            score += score(i);
        }
        System.out.println("RESULT ok=" + ok + " score=" + score);
        System.out.println("READY");
        System.out.flush();
    }
}
