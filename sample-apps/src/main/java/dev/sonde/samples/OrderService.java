package dev.sonde.samples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A small but real service for Sonde's demos and end-to-end tests: the JDK's HTTP server on loopback, an
 * embedded H2 database, and endpoints with different latency profiles and an occasional exception.
 *
 * <ul>
 *   <li>{@code GET /health}: constant time, no I/O;</li>
 *   <li>{@code GET /orders/{id}}: one indexed query;</li>
 *   <li>{@code POST /orders}: an insert, and one in fifty fails validation with an exception;</li>
 *   <li>{@code GET /report}: an aggregate over the whole table, the slow one.</li>
 * </ul>
 * Usage: {@code OrderService [port]} (0 picks a free port); prints {@code listening on <port>} when ready.
 */
public final class OrderService {
    private final HttpServer server;
    private final Connection db;

    public OrderService(int port) throws IOException, SQLException {
        db = DriverManager.getConnection("jdbc:h2:mem:orders;DB_CLOSE_DELAY=-1");
        try (var st = db.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS orders(id BIGINT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(64), "
                    + "qty INT, price DECIMAL(10,2))");
        }
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "http-worker");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/health", ex -> respond(ex, 200, health()));
        server.createContext("/orders", this::orders);
        server.createContext("/report", ex -> respond(ex, 200, safeReport()));
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public void start() {
        server.start();
    }

    public void stop() {
        server.stop(0);
        try {
            db.close();
        } catch (SQLException ignored) {
            // The in-memory database goes with the JVM anyway.
        }
    }

    public String health() {
        return "ok";
    }

    private void orders(HttpExchange ex) throws IOException {
        try {
            if ("POST".equals(ex.getRequestMethod())) {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                respond(ex, 201, Long.toString(createOrder(body)));
            } else {
                String path = ex.getRequestURI().getPath();
                long id = Long.parseLong(path.substring(path.lastIndexOf('/') + 1));
                String order = findOrder(id);
                respond(ex, order == null ? 404 : 200, order == null ? "not found" : order);
            }
        } catch (IllegalArgumentException e) {
            respond(ex, 400, e.getMessage());
        } catch (SQLException e) {
            respond(ex, 500, e.getMessage());
        }
    }

    /** Inserts an order {@code item,qty}; one in fifty is refused, as a flaky validation rule would. */
    public long createOrder(String body) throws SQLException {
        String[] parts = body.split(",");
        if (parts.length != 2 || ThreadLocalRandom.current().nextInt(50) == 0) {
            throw new IllegalArgumentException("invalid order: " + body);
        }
        synchronized (db) {
            try (PreparedStatement ps = db.prepareStatement("INSERT INTO orders(item, qty, price) VALUES (?, ?, ?)",
                    PreparedStatement.RETURN_GENERATED_KEYS)) {
                ps.setString(1, parts[0]);
                ps.setInt(2, Integer.parseInt(parts[1].trim()));
                ps.setBigDecimal(3, java.math.BigDecimal.valueOf(ThreadLocalRandom.current().nextInt(100, 10_000), 2));
                ps.executeUpdate();
                try (ResultSet keys = ps.getGeneratedKeys()) {
                    keys.next();
                    return keys.getLong(1);
                }
            }
        }
    }

    public String findOrder(long id) throws SQLException {
        synchronized (db) {
            try (PreparedStatement ps = db.prepareStatement("SELECT item, qty, price FROM orders WHERE id = ?")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) + " x" + rs.getInt(2) + " @ " + rs.getBigDecimal(3) : null;
                }
            }
        }
    }

    private String safeReport() {
        try {
            return report();
        } catch (SQLException e) {
            return "error: " + e.getMessage();
        }
    }

    /** The slow endpoint: an aggregate over every order, plus some CPU work to make the latency visible. */
    public String report() throws SQLException {
        StringBuilder b = new StringBuilder();
        synchronized (db) {
            try (var st = db.createStatement();
                 ResultSet rs = st.executeQuery("SELECT item, COUNT(*), SUM(qty * price) FROM orders GROUP BY item ORDER BY 3 DESC")) {
                while (rs.next()) {
                    b.append(rs.getString(1)).append(' ').append(rs.getLong(2)).append(' ').append(rs.getBigDecimal(3)).append('\n');
                }
            }
        }
        long h = 0;
        for (int i = 0; i < 200_000; i++) {
            h = h * 31 + b.length() + i;
        }
        return b.append("checksum ").append(h).toString();
    }

    private static void respond(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    public static void main(String[] args) throws Exception {
        OrderService s = new OrderService(args.length > 0 ? Integer.parseInt(args[0]) : 8080);
        s.start();
        System.out.println("listening on " + s.port());
        Runtime.getRuntime().addShutdownHook(new Thread(s::stop, "order-service-stop"));
        Thread.currentThread().join();
    }
}
