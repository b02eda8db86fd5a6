/**
 * Loading PyTorch's native library: what this build bundles ({@link NativeBuild}), what the machine
 * offers ({@link GpuHost}), the decision between them ({@link EnginePreflight}) and the one place
 * every engine-using command goes through ({@link NativeEngine}).
 */
package dev.polyak.engine;
