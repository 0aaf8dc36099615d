package dev.sonde.agent.cli;

import java.io.Console;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;

/**
 * What the terminal gets: ANSI colours on headings, errors and histogram bars only when stdout is a terminal and
 * NO_COLOR is unset (https://no-color.org), or with {@code --color=always}; progress lines on stderr only when a
 * terminal is there to read them, or with {@code --progress}. Never anything of either in JSON or in a pipe.
 */
final class Term {
    /** {@code --color=auto|always|never}, as ls and grep spell it. */
    enum ColorMode { AUTO, ALWAYS, NEVER }

    private static final String BOLD = "\u001b[1m";
    private static final String RED = "\u001b[1;31m";
    private static final String GREEN = "\u001b[32m";
    private static final String RESET = "\u001b[0m";
    private static final Pattern BAR = Pattern.compile("\\|(@+)");

    private final boolean color;
    private final boolean progress;
    private final PrintWriter err;

    Term(boolean color, boolean progress, PrintWriter err) {
        this.color = color;
        this.progress = progress;
        this.err = err;
    }

    /** The switches given on the command line ({@link SondeCli}'s inherited options), resolved against the terminal. */
    static Term of(CommandSpec spec) {
        SondeCli root = (SondeCli) spec.root().userObject();
        return decide(root.color, root.progress, System.getenv(), isTerminal(), spec.commandLine().getErr());
    }

    /**
     * The decision alone, for tests: {@code progress} null means "when a terminal is there"; NO_COLOR set to
     * anything non-empty turns {@code auto} off but not an explicit {@code always}.
     */
    static Term decide(ColorMode mode, Boolean progress, Map<String, String> env, boolean terminal, PrintWriter err) {
        String noColor = env.get("NO_COLOR");
        boolean color = mode == ColorMode.ALWAYS
                || (mode == ColorMode.AUTO && terminal && (noColor == null || noColor.isEmpty()));
        return new Term(color, progress == null ? terminal : progress, err);
    }

    /**
     * Whether stdin and stdout are a terminal. JDK 22+ returns a Console even when they are redirected and says
     * which with {@code isTerminal()}, a method JDK 17 lacks: asked reflectively.
     */
    static boolean isTerminal() {
        Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            Method m = Console.class.getMethod("isTerminal");
            return (Boolean) m.invoke(c);
        } catch (ReflectiveOperationException jdk17) {
            return true;
        }
    }

    boolean color() {
        return color;
    }

    boolean progress() {
        return progress;
    }

    String heading(String s) {
        return color ? BOLD + s + RESET : s;
    }

    String error(String s) {
        return color ? RED + s + RESET : s;
    }

    /** A bpftrace histogram with its {@code @@@} bars coloured. */
    String bars(String histogram) {
        if (!color) {
            return histogram;
        }
        Matcher m = BAR.matcher(histogram);
        return m.replaceAll(r -> Matcher.quoteReplacement("|" + GREEN + r.group(1) + RESET));
    }

    /** One progress line on stderr, when progress is shown; stdout (and so -j JSON) never gets it. */
    void step(String line) {
        if (progress) {
            err.println(line);
            err.flush();
        }
    }

    /** {@code 1.2 s}, {@code 35 ms}: how long a step took, for progress lines. */
    static String elapsed(long startNanos) {
        long ms = (System.nanoTime() - startNanos) / 1_000_000;
        return ms < 1000 ? ms + " ms" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    /** {@code 64 KiB}, {@code 1.5 MiB}: sizes in progress lines. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
    }
}
