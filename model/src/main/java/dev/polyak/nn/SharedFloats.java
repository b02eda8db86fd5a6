package dev.polyak.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.lang.reflect.Method;
import java.nio.FloatBuffer;

/**
 * A float32 tensor's own memory as a {@link FloatBuffer}, for element-wise updates that make one
 * pass in Java where the engine would make one per operation (see {@link AdamW}). Only a dense,
 * contiguous float32 tensor on the CPU has such a view: for any other, the engine's byte buffer
 * would be a copy, and writes to it would be lost. Contiguity is asked of the engine's JNI layer,
 * whose method is not public; where it cannot be reached, no tensor has a view and callers use the
 * engine's operations.
 */
final class SharedFloats {
  private static final Method IS_CONTIGUOUS = isContiguousMethod();
  private static final Object LIBRARY = library();

  private SharedFloats() {}

  /** The view of {@code array}'s memory, or null when it has none (see the class comment). */
  static FloatBuffer of(NDArray array) {
    if (IS_CONTIGUOUS == null
        || !(array instanceof PtNDArray pt)
        || array.getDataType() != DataType.FLOAT32
        || !Device.cpu().equals(array.getDevice())
        || pt.isSparse()
        || JniUtils.getLayout(pt) != 0) {
      return null;
    }
    try {
      if (!(Boolean) IS_CONTIGUOUS.invoke(LIBRARY, pt.getHandle())) {
        return null;
      }
    } catch (ReflectiveOperationException e) {
      return null;
    }
    return pt.toByteBuffer(true).asFloatBuffer();
  }

  private static Method isContiguousMethod() {
    try {
      Method m =
          Class.forName("ai.djl.pytorch.jni.PyTorchLibrary")
              .getDeclaredMethod("torchIsContiguous", long.class);
      m.setAccessible(true);
      return m;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  private static Object library() {
    try {
      java.lang.reflect.Field f =
          Class.forName("ai.djl.pytorch.jni.PyTorchLibrary").getDeclaredField("LIB");
      f.setAccessible(true);
      return f.get(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
