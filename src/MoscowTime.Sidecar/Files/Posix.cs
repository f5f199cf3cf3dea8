using System.Runtime.InteropServices;

namespace MoscowTime.Sidecar.Files;

/// <summary>The few POSIX calls .NET has no API for.</summary>
internal static partial class Posix
{
    // O_RDONLY, which opens a directory too; O_DIRECTORY differs between x64 and arm64.
    private const int ReadOnly = 0;

    public static bool IsRoot => GetEffectiveUserId() == 0;

    /// <summary>Makes a rename or unlink in <paramref name="directory"/> durable: until then a power cut can bring the old name back.</summary>
    public static void SyncDirectory(string directory)
    {
        var descriptor = Open(directory, ReadOnly);
        if (descriptor < 0)
        {
            throw Failure("open", directory);
        }

        try
        {
            if (FileSync(descriptor) != 0)
            {
                throw Failure("fsync", directory);
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    public static void ChangeOwner(string path, uint user, uint group)
    {
        if (ChangeOwnerNative(path, user, group) != 0)
        {
            throw Failure("chown", path);
        }
    }

    /// <summary>The (device, inode) pair naming the file at <paramref name="path"/>; null when there is none.</summary>
    /// <remarks>statx, not stat: its buffer has one layout on every architecture, so no per-platform struct.</remarks>
    public static FileIdentity? IdentityOf(string path)
    {
        const int CurrentDirectory = -100; // AT_FDCWD
        const uint Wanted = 0x100; // STATX_INO
        const int NoSuchFile = 2; // ENOENT
        // struct statx: 256 bytes, stx_ino at 32, stx_dev_major and stx_dev_minor at 136 and 140.
        const int Size = 256, Inode = 32, DeviceMajor = 136, DeviceMinor = 140;
        Span<byte> buffer = stackalloc byte[Size];
        if (StatX(CurrentDirectory, path, 0, Wanted, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            return Marshal.GetLastPInvokeError() == NoSuchFile ? null : throw Failure("statx", path);
        }

        return new FileIdentity(
            DeviceMajor: BitConverter.ToUInt32(buffer[DeviceMajor..]),
            DeviceMinor: BitConverter.ToUInt32(buffer[DeviceMinor..]),
            Inode: BitConverter.ToUInt64(buffer[Inode..]));
    }

    private static IOException Failure(string call, string path)
    {
        var error = Marshal.GetLastPInvokeError();
        return new IOException($"{call} {path} failed: {Marshal.GetPInvokeErrorMessage(error)} (errno {error})", error);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FileSync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ChangeOwnerNative(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatX(int directory, string path, int flags, uint mask, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}

/// <summary>Which file a path named at one moment: a replaced or restored file gets a new one.</summary>
internal readonly record struct FileIdentity(uint DeviceMajor, uint DeviceMinor, ulong Inode);
