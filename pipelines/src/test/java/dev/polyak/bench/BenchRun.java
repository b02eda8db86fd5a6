package dev.polyak.bench;

import dev.polyak.cli.PolyakCli;
import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * One in-process run of {@code polyak bench ...}, as a user runs it: exit code, stdout (picocli's)
 * and stderr.
 */
record BenchRun(int code, String out, String err) {
  /** Runs {@code polyak bench args...}, {@code args} starting with the subcommand. */
  static BenchRun of(String... args) {
    String[] command = new String[args.length + 1];
    command[0] = "bench";
    System.arraycopy(args, 0, command, 1, args.length);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PolyakCli.execute(new PrintWriter(out, true), new PrintWriter(err, true), command);
    return new BenchRun(code, out.toString(), err.toString());
  }
}
