package dev.sonde.bench;

/** A background consumer thread: runs {@code step} until stopped; counts what it consumed. */
final class Drainer extends Thread {
    interface Step {
        /** Consumes what is there; the number of records. */
        long drain();
    }

    private final Step step;
    private final boolean yieldWhenIdle;
    private volatile boolean running = true;
    volatile long consumed;

    Drainer(String name, Step step, boolean yieldWhenIdle) {
        super(name);
        this.step = step;
        this.yieldWhenIdle = yieldWhenIdle;
        setDaemon(true);
    }

    @Override
    public void run() {
        long n = 0;
        while (running) {
            long got = step.drain();
            n += got;
            if (got == 0 && yieldWhenIdle) {
                Thread.yield();
            }
        }
        consumed = n;
    }

    void halt() throws InterruptedException {
        running = false;
        join(10_000);
    }
}
