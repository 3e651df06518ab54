/**
 * The CLIP loss (Radford et al. 2021): for a batch of B matching image-text pairs, logits (B, B) = scale x
 * cos(image i, text j); the loss is the mean of the cross-entropy of each row against its diagonal (image -> its
 * text) and of each column (text -> its image). A batch may hold a caption that also describes another image of the
 * batch ("a circle" and a red circle's own "a large red circle"): CLIP counts it a negative all the same. Such
 * false negatives are rare in the world's caption mix and only blur the ranking of near-synonyms; see docs/diffusion.md.
 */
import * as tf from '@tensorflow/tfjs';

/** Symmetric cross-entropy of logits (B, B) whose diagonal holds the matching pairs (a scalar). */
export function clipLoss(logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const n = logits.shape[0];
    if (logits.shape[1] !== n) throw new Error(`clipLoss: logits must be square (got [${logits.shape.join(', ')}])`);
    const eye = tf.eye(n);
    const rows = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits, 1), eye), 1))); // image -> text
    const cols = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(tf.transpose(logits), 1), eye), 1))); // text -> image
    return tf.div(tf.add(rows, cols), 2) as tf.Scalar;
  });
}
