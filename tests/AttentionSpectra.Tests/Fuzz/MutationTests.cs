using System.Text;
using AttentionSpectra.Cli.Commands;
using AttentionSpectra.Models;
using AttentionSpectra.Numerics;
using AttentionSpectra.Tests.Cli;
using AttentionSpectra.Tests.KernelPcaAudit;
using CsCheck;

namespace AttentionSpectra.Tests.Fuzz;

/// <summary>Mutation campaign over real model files: small generated safetensors encoders (BERT- and ViT-style), a
/// tiny ONNX attention block, the PaddleOCR recogniser and .npy files are truncated, bit-flipped, overwritten,
/// spliced, given huge dimensions and edited in their headers; each mutant goes through the real loader or the
/// whole CLI (`kpca audit --model`), and must end with exit 0 or 2 and a message, within the time and memory caps.
/// </summary>
public class MutationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attnspec-mut-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly string TinyOnnx = Path.Combine(AppContext.BaseDirectory, "Fuzz", "Fixtures",
        "tiny-attention.onnx");

    internal static byte[] SafeTensorsBytes(List<(string, long[], double[])> tensors, string dir, string name)
    {
        string p = Path.Combine(dir, name);
        SafeTensorsFile.Write(p, tensors);
        return File.ReadAllBytes(p);
    }

    /// <summary>Byte mutations plus, half of the time, an edit of one number in the JSON header (shape, offset).
    /// </summary>
    internal static Gen<byte[]> SafeTensorsMutant(byte[] good)
    {
        int hlen = (int)BitConverter.ToUInt64(good, 0);
        return Gen.Select(FuzzHarness.MutationGen(good.Length, 8 + hlen).Array[0, 3], Gen.Bool, Gen.Int[0, 10_000],
            FuzzHarness.NumberEdit, Gen.Bool, (edits, edit, which, lit, fixLen) =>
            {
                var b = good;
                if (edit)
                {
                    string text = Encoding.Latin1.GetString(b);
                    string edited = FuzzHarness.EditNumber(text, 8, 8 + hlen, which, lit);
                    b = Encoding.Latin1.GetBytes(edited);
                    if (fixLen) BitConverter.GetBytes((ulong)(hlen + edited.Length - text.Length)).CopyTo(b, 0);
                }
                return FuzzHarness.Apply(b, edits);
            });
    }

    [Theory]
    [InlineData("BERT", 200)]
    [InlineData("ViT", 150)]
    public void MutatedSafeTensorsEncodersThroughTheCli(string kind, int cases)
    {
        var tensors = kind == "BERT" ? SafeTensorsTests.TinyBert(new Rng(5)) : SafeTensorsTests.TinyVit(new Rng(6));
        var good = SafeTensorsBytes(tensors, _dir, "good.safetensors");
        string path = Path.Combine(_dir, "m.safetensors"), outDir = Path.Combine(_dir, "out");
        FuzzHarness.Run($"safetensors {kind} mutants via kpca audit", SafeTensorsMutant(good), cases, bytes =>
        {
            File.WriteAllBytes(path, bytes);
            FuzzHarness.CliCase(Convert.ToHexString(bytes[..Math.Min(64, bytes.Length)]), "kpca", "audit", "--model",
                path,
                "--num-heads", "2", "--null-perms", "1", "--quiet", "--out", outDir);
        });
    }

    [Fact]
    public void MutatedSafeTensorsThroughTheLoader()
    {
        var good = SafeTensorsBytes(SafeTensorsTests.TinyBert(new Rng(7)), _dir, "good.safetensors");
        string path = Path.Combine(_dir, "l.safetensors");
        FuzzHarness.Run("safetensors mutants via loader", SafeTensorsMutant(good), 400, bytes =>
        {
            File.WriteAllBytes(path, bytes);
            FuzzHarness.Case(Convert.ToHexString(bytes[..Math.Min(64, bytes.Length)]),
                () => PropertyTests.LoadSafeTensors(path),
                memory: 32 << 20);
        });
    }

    [Fact]
    public void MutatedNpyFiles()
    {
        var m = new Matrix(7, 5);
        new Rng(8).FillGaussian(m.Data);
        using var ms = new MemoryStream();
        Npy.Write(ms, m.Data, [7, 5]);
        var good = ms.ToArray();
        int hlen = BitConverter.ToUInt16(good, 8);
        var gen = Gen.Select(FuzzHarness.MutationGen(good.Length, 10 + hlen).Array[0, 3], Gen.Bool, Gen.Int[0, 100],
            FuzzHarness.NumberEdit, (edits, edit, which, lit) =>
            {
                var b = good;
                if (edit) b = Encoding.Latin1.GetBytes(FuzzHarness.EditNumber(Encoding.Latin1.GetString(b), 10, 10
                    + hlen, which, lit));
                return FuzzHarness.Apply(b, edits);
            });
        FuzzHarness.Run(".npy mutants via reader", gen, 500, bytes => FuzzHarness.Case(
            Encoding.Latin1.GetString(bytes, 0, Math.Min(bytes.Length, 100)), () => Npy.Read(bytes, "fuzz.npy"),
            memory: 16 << 20));
    }

    [Fact]
    public void MutatedTinyOnnxThroughTheCli()
    {
        var good = File.ReadAllBytes(TinyOnnx);
        string path = Path.Combine(_dir, "m.onnx"), outDir = Path.Combine(_dir, "out");
        var gen = FuzzHarness.MutationGen(good.Length, good.Length).Array[1, 3];
        FuzzHarness.Run("tiny ONNX mutants via kpca audit", gen, 200, edits =>
        {
            var bytes = FuzzHarness.Apply(good, edits);
            File.WriteAllBytes(path, bytes);
            FuzzHarness.CliCase(string.Join(";", edits), "kpca", "audit", "--model", path, "--input-shape", "1,7,8",
                "--null-perms", "1", "--quiet", "--out", outDir);
        });
    }

    /// <summary>A mutant reported by a random campaign (bit 5 of byte 466 flipped) that crashed the attention
    /// pattern matcher (exit 70) on an earlier extractor; the graph is now checked up front for nodes with fewer
    /// inputs than their operator needs. This case must stay an input error or a success.</summary>
    [Fact]
    public void TinyOnnx_NodeWithTooFewInputs_IsAnInputError()
    {
        var bytes = File.ReadAllBytes(TinyOnnx);
        bytes[466] ^= 1 << 5;
        string path = Path.Combine(_dir, "bad.onnx"), outDir = Path.Combine(_dir, "out-bad");
        File.WriteAllBytes(path, bytes);
        var r = Cli.CliRunner.Run(_dir, TimeSpan.FromMinutes(2), "kpca", "audit", "--model", path, "--input-shape", "1,7,8",
            "--null-perms", "1", "--quiet", "--out", outDir);
        Assert.True(r.ExitCode is 0 or 2, $"exit {r.ExitCode}: {r.StdErr}");
        if (r.ExitCode == 2) Assert.StartsWith("error:", r.StdErr);
    }

    [Fact]
    public void MutatedOcrModelThroughTheLoader()
    {
        string? ocr = KpcaCommands.FindOcrModel();
        if (ocr == null) return; // installed by scripts/get-ocr-model.sh (CI installs it)
        var good = File.ReadAllBytes(ocr);
        string path = Path.Combine(_dir, "ocr.onnx");
        // Edits concentrate in the first 64 KB, where the graph's nodes and value infos live.
        var gen = FuzzHarness.MutationGen(good.Length, 64 << 10).Array[1, 2];
        FuzzHarness.Run("OCR model mutants via ONNX loader", gen, 25, edits =>
        {
            File.WriteAllBytes(path, FuzzHarness.Apply(good, edits));
            FuzzHarness.Case(string.Join(";", edits), () => { using var ex = new OnnxAttentionExtractor(path); },
                memory: 1L << 30, time: TimeSpan.FromSeconds(60));
        });
    }

    [Fact]
    public void ASampleOfMutantsThroughTheRealCliProcess()
    {
        var bert = SafeTensorsBytes(SafeTensorsTests.TinyBert(new Rng(10)), _dir, "good.safetensors");
        var onnx = File.ReadAllBytes(TinyOnnx);
        string outDir = Path.Combine(_dir, "out");
        int i = 0;
        FuzzHarness.Run("mutants via attnspec child process", Gen.Select(SafeTensorsMutant(bert),
            FuzzHarness.MutationGen(onnx.Length, onnx.Length).Array[1, 3], Gen.Bool, (s, e, which) => which ? (s,
                ".safetensors")
                : (FuzzHarness.Apply(onnx, e), ".onnx")), 6, t =>
        {
            string path = Path.Combine(_dir, $"c{i++}{t.Item2}");
            File.WriteAllBytes(path, t.Item1);
            string[] extra = t.Item2 == ".onnx" ? ["--input-shape", "1,7,8"] : ["--num-heads", "2"];
            var r = CliRunner.Run(_dir, TimeSpan.FromSeconds(60), ["kpca", "audit", "--model", path, "--null-perms",
                "1", "--quiet",
                "--out", outDir, .. extra]);
            if (r.ExitCode == 0) Assert.Empty(r.StdErr.Trim());
            else CliRunner.AssertOneError(r);
        });
    }
}
