package dev.polyak.data.io;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;

/**
 * Who holds a {@link FolderLock}: the contents of its lock file, {@code key=value} lines readable
 * by a person and by {@code grep}. The heartbeat is the last line and has a fixed width, so the
 * holder refreshes it in place without changing the file's length.
 *
 * @param host the holder's host name
 * @param pid the holder's process id on that host
 * @param started when the holder took the lock
 * @param heartbeat when the holder last proved it was alive (its own clock)
 * @param heartbeatInterval how often the holder refreshes the heartbeat
 * @param lease how long after its last heartbeat the holder counts as alive
 * @param token unique per acquisition: tells two holders on one host and pid apart
 * @param command what the holder runs, for the person who reads the file
 */
public record LockHolder(
    String host,
    long pid,
    Instant started,
    Instant heartbeat,
    Duration heartbeatInterval,
    Duration lease,
    String token,
    String command) {

  /**
   * UTC with milliseconds, always 24 characters, so a refreshed heartbeat overwrites the old one
   * exactly; any ISO-8601 instant is read.
   */
  static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  static final String HEARTBEAT_KEY = "heartbeat=";

  /** "pid 123 on host h since 2026-12-02T08:49:04Z": the words of the refusal. */
  public String describe() {
    return "pid "
        + pid
        + " on host "
        + host
        + " since "
        + started.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
  }

  /**
   * The lock file's bytes; the heartbeat line is last and {@link #heartbeatBytes} long plus its
   * newline.
   */
  byte[] toBytes() {
    String text =
        "# polyak folder lock: this process owns the folder; see README, 'One owner per folder'\n"
            + "host="
            + host
            + "\n"
            + "pid="
            + pid
            + "\n"
            + "started="
            + TIME.format(started)
            + "\n"
            + "heartbeat_interval_ms="
            + heartbeatInterval.toMillis()
            + "\n"
            + "lease_ms="
            + lease.toMillis()
            + "\n"
            + "token="
            + token
            + "\n"
            + "command="
            + command.replaceAll("[\\r\\n]+", " ")
            + "\n"
            + HEARTBEAT_KEY
            + TIME.format(heartbeat)
            + "\n";
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] heartbeatBytes(Instant heartbeat) {
    return TIME.format(heartbeat).getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Parses a lock file's bytes; throws {@link IllegalArgumentException} for partial or foreign
   * contents.
   */
  static LockHolder parse(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.UTF_8);
    if (!text.endsWith("\n")) {
      throw new IllegalArgumentException("the lock file is incomplete");
    }
    Map<String, String> fields = new HashMap<>();
    for (String line : text.split("\n")) {
      int eq = line.indexOf('=');
      if (!line.startsWith("#") && eq > 0) {
        fields.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    try {
      return new LockHolder(
          required(fields, "host"),
          Long.parseLong(required(fields, "pid")),
          Instant.parse(required(fields, "started")),
          Instant.parse(required(fields, "heartbeat")),
          Duration.ofMillis(Long.parseLong(required(fields, "heartbeat_interval_ms"))),
          Duration.ofMillis(Long.parseLong(required(fields, "lease_ms"))),
          required(fields, "token"),
          fields.getOrDefault("command", ""));
    } catch (NumberFormatException | DateTimeParseException e) {
      throw new IllegalArgumentException(
          "the lock file has a malformed field: " + e.getMessage(), e);
    }
  }

  private static String required(Map<String, String> fields, String key) {
    String value = fields.get(key);
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException("the lock file has no " + key);
    }
    return value;
  }
}
