#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

// TorchSharp 0.107's libLibTorchSharp.so was linked against GCC 13's libstdc++ and so asks for the
// version GLIBCXX_3.4.32, which Debian 12's libstdc++ (3.4.30) does not define. The only symbol
// behind that version is std::ios_base_library_init(), which GCC 13 references without ever
// relocating against it. The dynamic loader refuses the library because of the missing version,
// not the symbol. Marking the version need VER_FLG_WEAK makes the loader accept it.
//
// This task does exactly that, on a copy in a build output folder, for every libstdc++ version the
// system library lacks; it refuses (error) if any relocation actually binds a symbol of such a
// version, because then weakening would only move the failure to run time.
public sealed class WeakenElfVersionNeeds : Task
{
    const uint ShtRela = 4, ShtVerdef = 0x6ffffffd, ShtVerneed = 0x6ffffffe, ShtVersym = 0x6fffffff;
    const ushort VerFlgWeak = 0x2;

    [Required] public string Library { get; set; } = "";
    [Required] public string SystemLibraries { get; set; } = "";
    public string NeededFile { get; set; } = "libstdc++.so.6";

    public override bool Execute()
    {
        string? system = null;
        foreach (var candidate in SystemLibraries.Split(';'))
        {
            if (candidate.Length > 0 && File.Exists(candidate)) { system = candidate; break; }
        }
        if (system is null)
        {
            Log.LogMessage(MessageImportance.High, $"libtorch compatibility: no system {NeededFile} found, {Library} left as is.");
            return true;
        }

        var available = DefinedVersions(File.ReadAllBytes(system));
        var image = File.ReadAllBytes(Library);
        var elf = new Elf(image, Library);
        var versym = elf.Section(ShtVersym);
        var verneed = elf.Section(ShtVerneed);
        if (verneed is null || versym is null) { return true; }

        var strtab = elf.SectionAt(verneed.Value.Link);
        var weakened = new List<string>();
        long need = verneed.Value.Offset;
        for (uint i = 0; i < verneed.Value.Info; i++)
        {
            var file = elf.CString(strtab.Offset + elf.U32(need + 4));
            long aux = need + elf.U32(need + 8);
            for (int j = 0; j < elf.U16(need + 2); j++)
            {
                var flags = elf.U16(aux + 4);
                var index = elf.U16(aux + 6);
                var name = elf.CString(strtab.Offset + elf.U32(aux + 8));
                if (file == NeededFile && (flags & VerFlgWeak) == 0 && !available.Contains(name))
                {
                    var bound = elf.RelocatedSymbolWithVersion(versym.Value, index);
                    if (bound is not null)
                    {
                        Log.LogError($"{Library}: relocation binds '{bound}' at {name}, which {system} lacks; weakening the version need would break at run time.");
                        return false;
                    }
                    elf.SetU16(aux + 4, (ushort)(flags | VerFlgWeak));
                    weakened.Add(name);
                }
                aux += elf.U32(aux + 12);
            }
            need += elf.U32(need + 12);
        }

        if (weakened.Count == 0) { return true; }
        // Write a new file and move it in place of the old name (unlinking it first), so a hard
        // link into the package cache is never written through.
        var temporary = Library + ".patching";
        File.WriteAllBytes(temporary, image);
        File.Delete(Library);
        File.Move(temporary, Library);
        Log.LogMessage(MessageImportance.High, $"libtorch compatibility: marked {string.Join(", ", weakened)} weak in {Library} (system {system}).");
        return true;
    }

    static HashSet<string> DefinedVersions(byte[] image)
    {
        var elf = new Elf(image, "system libstdc++");
        var result = new HashSet<string>(StringComparer.Ordinal);
        var verdef = elf.Section(ShtVerdef);
        if (verdef is null) { return result; }
        var strtab = elf.SectionAt(verdef.Value.Link);
        long def = verdef.Value.Offset;
        for (uint i = 0; i < verdef.Value.Info; i++)
        {
            long aux = def + elf.U32(def + 12);
            result.Add(elf.CString(strtab.Offset + elf.U32(aux)));
            def += elf.U32(def + 16);
        }
        return result;
    }

    struct SectionHeader
    {
        public uint Type, Link, Info;
        public long Offset, Size, EntrySize;
    }

    sealed class Elf
    {
        readonly byte[] _b;
        readonly List<SectionHeader> _sections = new();

        public Elf(byte[] image, string name)
        {
            _b = image;
            if (_b.Length < 64 || _b[0] != 0x7f || _b[1] != (byte)'E' || _b[2] != (byte)'L' || _b[3] != (byte)'F' || _b[4] != 2 || _b[5] != 1)
            {
                throw new InvalidDataException($"{name}: not a 64-bit little-endian ELF file.");
            }
            long shoff = (long)U64(0x28);
            int shentsize = U16(0x3a), shnum = U16(0x3c);
            for (int i = 0; i < shnum; i++)
            {
                long h = shoff + (long)i * shentsize;
                _sections.Add(new SectionHeader
                {
                    Type = U32(h + 4), Offset = (long)U64(h + 24), Size = (long)U64(h + 32),
                    Link = U32(h + 40), Info = U32(h + 44), EntrySize = (long)U64(h + 56),
                });
            }
        }

        public SectionHeader? Section(uint type)
        {
            foreach (var s in _sections) { if (s.Type == type) { return s; } }
            return null;
        }

        public SectionHeader SectionAt(uint index) => _sections[(int)index];

        public string? RelocatedSymbolWithVersion(SectionHeader versym, ushort version)
        {
            foreach (var rela in _sections)
            {
                if (rela.Type != ShtRela || rela.EntrySize == 0) { continue; }
                var symtab = _sections[(int)rela.Link];
                var strtab = _sections[(int)symtab.Link];
                for (long r = rela.Offset; r < rela.Offset + rela.Size; r += rela.EntrySize)
                {
                    long symbol = (long)(U64(r + 8) >> 32);
                    if (symbol != 0 && (U16(versym.Offset + 2 * symbol) & 0x7fff) == version)
                    {
                        return CString(strtab.Offset + U32(symtab.Offset + symbol * symtab.EntrySize));
                    }
                }
            }
            return null;
        }

        public ushort U16(long at) => BitConverter.ToUInt16(_b, checked((int)at));
        public uint U32(long at) => BitConverter.ToUInt32(_b, checked((int)at));
        public ulong U64(long at) => BitConverter.ToUInt64(_b, checked((int)at));
        public void SetU16(long at, ushort value) => BitConverter.GetBytes(value).CopyTo(_b, checked((int)at));

        public string CString(long at)
        {
            int start = checked((int)at), end = start;
            while (_b[end] != 0) { end++; }
            return Encoding.ASCII.GetString(_b, start, end - start);
        }
    }
}
