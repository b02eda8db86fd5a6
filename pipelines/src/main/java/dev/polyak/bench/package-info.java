/**
 * {@code polyak bench}: the benchmarks that print figures (preprocessing, training, diagnostics,
 * sweep, report and checkpoint cost), apart from the user's commands in {@code dev.polyak.cli},
 * which only registers {@link BenchCommand}. Nothing here imports {@code dev.polyak.cli}.
 */
package dev.polyak.bench;
