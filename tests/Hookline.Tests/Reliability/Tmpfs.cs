using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Hookline.Tests.Reliability;

/// <summary>
/// A small tmpfs of the test's own, for a disk that fills up or turns read-only under a running Hookline. Needs root
/// (CI runs as root); unmounted lazily on dispose, even when the test failed.
/// </summary>
public sealed class Tmpfs : IDisposable
{
    private const ulong ReadOnlyFlag = 1, RemountFlag = 32;
    private const int Detach = 2, Busy = 16;
    private readonly string _filler;

    public Tmpfs(string size)
    {
        Folder = Directory.CreateTempSubdirectory("hookline-disk-").FullName;
        Check(Mount("tmpfs", Folder, "tmpfs", 0, $"size={size}"), "mount");
        _filler = Path.Combine(Folder, "filler");
    }

    /// <summary>Root ignores file permissions, so only a mount makes a file unwritable for it; a mount needs root.</summary>
    public static bool Possible => Environment.UserName == "root";

    public string Folder { get; }
    public string DatabasePath => Path.Combine(Folder, "hookline.db");

    /// <summary>
    /// Remounts read-only. Linux refuses while a file is open for writing, so the SQLite pool of
    /// <paramref name="connectionString"/> is emptied first and the remount retried until it lands between two uses.
    /// </summary>
    public async Task<int> MakeReadOnlyAsync(string connectionString)
    {
        for (var attempt = 1; attempt <= 500; attempt++)
        {
            using (var c = new SqliteConnection(connectionString)) SqliteConnection.ClearPool(c);
            if (Mount(null, Folder, null, RemountFlag | ReadOnlyFlag, null) == 0) return attempt;
            if (Marshal.GetLastWin32Error() != Busy) Check(-1, "remount ro");
            await Task.Delay(10);
        }
        throw new TimeoutException("The database stayed open for writing; could not remount read-only.");
    }

    public void MakeWritable() => Check(Mount(null, Folder, null, RemountFlag, null), "remount rw");

    /// <summary>Writes a file until the disk is full; returns how many bytes fitted.</summary>
    public long Fill()
    {
        var chunk = new byte[64 * 1024];
        using var file = new FileStream(_filler, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
        while (true)
        {
            try { file.Write(chunk); }
            catch (IOException)
            {
                if (chunk.Length == 512) return file.Length; // even a sector no longer fits
                chunk = new byte[chunk.Length / 2];
            }
        }
    }

    public void Free() => File.Delete(_filler);

    public void Dispose()
    {
        Umount(Folder, Detach);
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }

    private static void Check(int result, string what)
    {
        if (result != 0) throw new Win32Exception(Marshal.GetLastWin32Error(), $"{what} failed");
    }

    [DllImport("libc", EntryPoint = "mount", SetLastError = true)]
    private static extern int Mount(string? source, string target, string? type, ulong flags, string? data);

    [DllImport("libc", EntryPoint = "umount2", SetLastError = true)]
    private static extern int Umount(string target, int flags);
}
