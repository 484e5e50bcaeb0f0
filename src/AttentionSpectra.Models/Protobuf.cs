using AttentionSpectra.Studies.KernelPcaAudit;
using System.Text;

namespace AttentionSpectra.Models;

/// <summary>One field of a protobuf message as read from the wire: number, wire type, and either a varint /
/// fixed value or the slice of a length-delimited payload.</summary>
internal readonly record struct ProtoField(int Number, int WireType, ulong Scalar, int Offset, int Length)
{
    public const int Varint = 0, Fixed64 = 1, Len = 2, Fixed32 = 5;
}

/// <summary>Minimal protobuf wire-format reader (varint, fixed32/64, length-delimited). Enough for the parts of
/// the ONNX schema the audit needs. Every read is bounds-checked: a truncated or corrupt buffer gives an
/// <see cref="InvalidDataException"/> naming the message being parsed.</summary>
internal static class ProtoReader
{
    public static List<ProtoField> ReadFields(ReadOnlySpan<byte> buf, int start, int length, string what)
    {
        var fields = new List<ProtoField>();
        int end = start + length, p = start;
        if (start < 0 || length < 0 || end > buf.Length) throw Corrupt(what, "length beyond the end of the file");
        while (p < end)
        {
            ulong key = ReadVarint(buf, ref p, end, what);
            int number = (int)(key >> 3), wt = (int)(key & 7);
            if (number <= 0) throw Corrupt(what, $"invalid field number {number}");
            switch (wt)
            {
                case ProtoField.Varint:
                    fields.Add(new ProtoField(number, wt, ReadVarint(buf, ref p, end, what), 0, 0));
                    break;
                case ProtoField.Fixed64:
                    if (p + 8 > end) throw Corrupt(what, "truncated fixed64");
                    fields.Add(new ProtoField(number, wt, BitConverter.ToUInt64(buf.Slice(p, 8)), 0, 0)); p += 8;
                    break;
                case ProtoField.Fixed32:
                    if (p + 4 > end) throw Corrupt(what, "truncated fixed32");
                    fields.Add(new ProtoField(number, wt, BitConverter.ToUInt32(buf.Slice(p, 4)), 0, 0)); p += 4;
                    break;
                case ProtoField.Len:
                    ulong len = ReadVarint(buf, ref p, end, what);
                    if (len > (ulong)(end - p)) throw Corrupt(what, $"field {number} claims {len} bytes but only {end - p} remain (truncated file?)");
                    fields.Add(new ProtoField(number, wt, 0, p, (int)len)); p += (int)len;
                    break;
                default:
                    throw Corrupt(what, $"unsupported wire type {wt} for field {number}");
            }
        }
        return fields;
    }

    public static ulong ReadVarint(ReadOnlySpan<byte> buf, ref int p, int end, string what)
    {
        ulong v = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (p >= end) throw Corrupt(what, "truncated varint");
            byte b = buf[p++];
            v |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw Corrupt(what, "varint longer than 10 bytes");
    }

    public static string String(ReadOnlySpan<byte> buf, ProtoField f) => Encoding.UTF8.GetString(buf.Slice(f.Offset, f.Length));

    /// <summary>Values of a repeated varint field that may be packed (one LEN field) or unpacked.</summary>
    public static void AppendVarints(ReadOnlySpan<byte> buf, ProtoField f, List<long> into, string what)
    {
        if (f.WireType == ProtoField.Varint) { into.Add((long)f.Scalar); return; }
        if (f.WireType != ProtoField.Len) throw Corrupt(what, "unexpected wire type for repeated varint");
        int p = f.Offset, end = f.Offset + f.Length;
        while (p < end) into.Add((long)ReadVarint(buf, ref p, end, what));
    }

    public static InvalidDataException Corrupt(string what, string detail) =>
        new($"Corrupt or truncated protobuf while reading {what}: {detail}.");
}

/// <summary>Minimal protobuf wire-format writer.</summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _ms = new();

    public byte[] ToArray() => _ms.ToArray();

    private void Key(int number, int wt) => RawVarint(((ulong)number << 3) | (uint)wt);

    public void RawVarint(ulong v)
    {
        while (v >= 0x80) { _ms.WriteByte((byte)(v | 0x80)); v >>= 7; }
        _ms.WriteByte((byte)v);
    }

    public ProtoWriter Varint(int number, long v) { Key(number, ProtoField.Varint); RawVarint((ulong)v); return this; }

    public ProtoWriter Float(int number, float v) { Key(number, ProtoField.Fixed32); _ms.Write(BitConverter.GetBytes(v)); return this; }

    public ProtoWriter Raw32(int number, uint v) { Key(number, ProtoField.Fixed32); _ms.Write(BitConverter.GetBytes(v)); return this; }

    public ProtoWriter Raw64(int number, ulong v) { Key(number, ProtoField.Fixed64); _ms.Write(BitConverter.GetBytes(v)); return this; }

    public ProtoWriter Bytes(int number, ReadOnlySpan<byte> b) { Key(number, ProtoField.Len); RawVarint((ulong)b.Length); _ms.Write(b); return this; }

    public ProtoWriter String(int number, string s) => Bytes(number, Encoding.UTF8.GetBytes(s));

    public ProtoWriter Message(int number, ProtoWriter m) => Bytes(number, m.ToArray());

    public ProtoWriter PackedVarints(int number, IEnumerable<long> values)
    {
        var inner = new ProtoWriter();
        foreach (var v in values) inner.RawVarint((ulong)v);
        return Bytes(number, inner.ToArray());
    }
}
