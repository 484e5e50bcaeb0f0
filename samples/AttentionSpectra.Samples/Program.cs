// AttentionSpectra.Samples: the public library API in two short examples.
//   1. the symmetric eigensolver of AttentionSpectra.Numerics on a matrix with known eigenvalues;
//   2. a kernel-PCA audit (Study C) of a synthetic attention head whose values are, or are not, the kernel-PCA
//      prediction.
// Run: dotnet run --project samples/AttentionSpectra.Samples
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;

var rng = new Rng(20261123);

// 1. Eigensolver: A = U diag(1..n) U' with a random orthogonal U has eigenvalues exactly 1..n.
const int n = 200;
var g = new Matrix(n, n);
rng.FillGaussian(g.Data);
var u = SymmetricEigen.Decompose(g + g.Transpose()).Vectors;       // orthonormal columns
var scaled = u.Clone();
for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) scaled[i, j] *= j + 1;
var a = scaled * u.Transpose();
var eig = SymmetricEigen.Decompose(a);
double maxError = Enumerable.Range(0, n).Max(i => Math.Abs(eig.Values[i] - (i + 1)));
double residual = (a * eig.Vectors - eig.Vectors * Matrix.Diagonal(eig.Values)).FrobeniusNorm();
Console.WriteLine($"eigensolver: n = {n}, max |lambda_i - i| = {maxError:E2}, |A V - V Lambda|_F = {residual:E2}");
if (maxError > 1e-9 || residual > 1e-8) return Fail("eigensolver error too large");

// 2. Kernel-PCA audit of a synthetic head: N tokens, head dimension D.
const int tokens = 48, dim = 8;
var q = Gaussian(tokens, dim, rng.Split(1));
var k = Gaussian(tokens, dim, rng.Split(2));
var predicted = KernelPca.Compute(q, k, dim).VKpca;                 // values that follow kernel PCA exactly
var kpcaHead = new CapturedHead(Layer: 0, Head: 0, Input: "synthetic-kpca", q, k, predicted);
var randomHead = new CapturedHead(Layer: 0, Head: 1, Input: "synthetic-random", q, k, Gaussian(tokens, dim, rng.Split(3)));
var kpca = HeadAudit.Audit(kpcaHead, rng.Split(4));
var random = HeadAudit.Audit(randomHead, rng.Split(5));
foreach (var m in new[] { kpca, random })
    Console.WriteLine($"audit {m.Input,-17} mean cosine {m.MeanCosine:F3}  optimal cosine {m.OptimalCosine:F3}  " +
                      $"linear CKA {m.LinearCka:F3}  RBF CKA {m.RbfCka:F3}");
if (kpca.LinearCka < 0.99 || random.LinearCka > kpca.LinearCka) return Fail("kernel-PCA head not recognised");
Console.WriteLine("samples: ok");
return 0;

static Matrix Gaussian(int rows, int cols, Rng rng)
{
    var m = new Matrix(rows, cols);
    rng.FillGaussian(m.Data);
    return m;
}

static int Fail(string message)
{
    Console.Error.WriteLine($"samples: {message}");
    return 1;
}
