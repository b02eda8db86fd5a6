/**
 * The command-line options that choose where a Beam job runs ({@link RunnerMixin}), shared by the
 * user's commands ({@code dev.polyak.cli}) and the benchmarks ({@code dev.polyak.bench}).
 */
package dev.polyak.runner;
