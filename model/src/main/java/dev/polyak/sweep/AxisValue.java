package dev.polyak.sweep;

/**
 * One value of a grid axis.
 *
 * @param label how the value reads in a cell's labels and config ({@code bert-tiny}, {@code 1e-4},
 *     a method's label)
 * @param value what it puts in the cell's run file: a YAML value as Java maps, lists and scalars; a
 *     {@link MethodChoice} for {@code method}, a {@code Long} for {@code seed}
 * @param node where it was written (null only for the default seed, which no file names)
 */
record AxisValue(String label, Object value, YamlNode node) {}
