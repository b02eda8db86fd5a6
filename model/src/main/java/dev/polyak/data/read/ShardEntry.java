package dev.polyak.data.read;

/**
 * One shard file as the manifest lists it.
 *
 * @param file the file name, inside the shard set's folder
 * @param rows rows the shard holds
 * @param sizeBytes its exact size
 * @param sha256 lower-case hex digest of its bytes
 */
public record ShardEntry(String file, long rows, long sizeBytes, String sha256) {}
