using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.KernelPcaAudit;

/// <summary>Queries, keys and values of one attention head on one input, in the kernel convention of docs/theory.md (Study C):
/// the head's attention weights are softmax_j(q_i . k_j / sqrt(D)) with D = <see cref="Q"/>.Cols. Loaders fold any
/// non-standard softmax scale of the model into Q so this identity holds exactly.</summary>
/// <param name="Layer">0-based attention block index (order of the blocks in the model).</param>
/// <param name="Head">0-based head index inside the block.</param>
/// <param name="Input">Label of the input (file name, "random-0", ...).</param>
/// <param name="Q">N x D queries.</param>
/// <param name="K">N x D keys.</param>
/// <param name="V">N x Dv learned values (the head's value vectors for the same tokens).</param>
/// <param name="ModelAttentionError">Max |softmax(QK'/sqrt D) - model's attention| when the loader could check it
/// against the model's own softmax output (ONNX), else null.</param>
/// <param name="LogitError">Max |s q_i.k_j + b_ij - model logit| / max(1, |model logit|) over the head: how well the
/// captured (unscaled) projections, scale s and additive term b reproduce the model's own pre-softmax logits (ONNX
/// loader), else null.</param>
/// <param name="LogitScale">Scale s the model applies to q_i.k_j of the unscaled projections (folded into
/// <see cref="Q"/> as s·sqrt(D)), when the loader recovered it, else null.</param>
/// <param name="LogitBias">N x N additive term (masks, relative-position bias) the model adds to s q_i.k_j before its
/// softmax, so that s q_i.k_j + b_ij is the model's true softmax input; null when there is none.</param>
public sealed record CapturedHead(int Layer, int Head, string Input, Matrix Q, Matrix K, Matrix V,
    double? ModelAttentionError = null, double? LogitError = null, double? LogitScale = null, Matrix? LogitBias = null)
{
    /// <summary>N, the number of tokens.</summary>
    public int Tokens => Q.Rows;
    /// <summary>D, the query/key dimension.</summary>
    public int HeadDim => Q.Cols;
    /// <summary>N x C input of the attention block (the tokens Q, K and V were projected from), when the loader
    /// captured it; exported by <see cref="TensorExport"/>.</summary>
    public Matrix? X { get; init; }
}

/// <summary>Everything a loader returns for one input: heads for the selected layers.</summary>
public sealed record ExtractedAttention(string ModelKind, int LayerCount, int HeadsPerLayer, IReadOnlyList<CapturedHead> Heads, IReadOnlyList<string> Notes);
