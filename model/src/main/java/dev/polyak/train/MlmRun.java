package dev.polyak.train;

import dev.polyak.nn.Bert;

/**
 * A masked-language-modelling run: everything that decides its trajectory.
 *
 * @param seed the run seed every random stream derives from
 * @param model the encoder's sizes (vocabulary size from the shard set)
 * @param steps optimizer steps in all
 * @param batchSize rows per step
 * @param peakLearningRate AdamW's rate after warm-up
 * @param warmupSteps linear warm-up length
 * @param weightDecay AdamW's decoupled weight decay
 * @param evalEvery steps between evaluations (and at the end)
 * @param evalRows held-out rows per evaluation (the first ones, with a fixed masking stream)
 */
public record MlmRun(
    long seed, Bert.Config model, long steps, int batchSize, double peakLearningRate, long warmupSteps,
    double weightDecay, long evalEvery, int evalRows) {}
