// image_input.cpp: the IDX, PNG and .npy readers behind read_images and
// read_images_from_memory, and the conversion of 8-bit pixels to model
// inputs. The readers see bytes through a Source (a file read on demand, or a
// buffer), so both entry points share every check. Every size a file declares
// is checked against the bytes the file actually holds before anything is
// allocated, and memory grows only with data actually read.
#include "image_input.hpp"

#include <stb_image.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "error.hpp"
#include "resize.hpp"

namespace fsvae {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
    throw Error(path + ": " + problem);
}

std::string hex_bytes(const uint8_t* p, size_t n) {
    std::string s;
    char buf[4];
    for (size_t i = 0; i < n; ++i) {
        std::snprintf(buf, sizeof buf, "%02x", p[i]);
        if (i) s += ' ';
        s += buf;
    }
    return s;
}

// Text taken from a file, safe in a one-line message (at most 40 characters).
std::string printable(const std::string& s) { return fsvae::printable(s, 40); }

std::string hw(uint64_t h, uint64_t w) { return std::to_string(h) + "x" + std::to_string(w); }

// a * b, or false if it does not fit in 64 bits.
bool mul(uint64_t a, uint64_t b, uint64_t& out) { return !__builtin_mul_overflow(a, b, &out); }

// ---- bytes -------------------------------------------------------------------

// Random access to an input's bytes, wherever they are: a file, read on
// demand, or a caller's buffer.
class Source {
public:
    virtual ~Source() = default;
    uint64_t size() const { return size_; }
    // Exactly n bytes at offset; callers have checked they lie in the input.
    virtual void read(uint64_t offset, void* dst, size_t n) = 0;

protected:
    uint64_t size_ = 0;
};

class FileSource final : public Source {
public:
    explicit FileSource(const std::string& path) : path_(path) {
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, not an image file");
        f_ = std::fopen(path.c_str(), "rb");
        if (!f_) fail(path, std::string("cannot open: ") + std::strerror(errno));
        if (fseeko(f_, 0, SEEK_END) != 0) fail(path, std::string("cannot read: ") + std::strerror(errno));
        const off_t end = ftello(f_);
        if (end < 0) fail(path, std::string("cannot read: ") + std::strerror(errno));
        size_ = uint64_t(end);
    }
    ~FileSource() override { std::fclose(f_); }
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;

    void read(uint64_t offset, void* dst, size_t n) override {
        if (n == 0) return;
        if (fseeko(f_, off_t(offset), SEEK_SET) != 0 || std::fread(dst, 1, n, f_) != n)
            fail(path_, std::string("cannot read: ") +
                            (std::ferror(f_) ? std::strerror(errno) : "file changed while reading"));
    }

private:
    std::string path_;
    std::FILE* f_ = nullptr;
};

class MemorySource final : public Source {
public:
    MemorySource(const std::string& origin, const void* data, size_t size)
        : origin_(origin), data_(static_cast<const uint8_t*>(data)) {
        if (data_ == nullptr && size != 0) fail(origin, "no data (null buffer)");
        size_ = size;
    }
    void read(uint64_t offset, void* dst, size_t n) override {
        if (n == 0) return;
        // Callers check bounds; this keeps a slip from reading past the buffer.
        if (offset > size_ || n > size_ - offset) fail(origin_, "read past the end of the data");
        std::memcpy(dst, data_ + offset, n);
    }

private:
    const std::string& origin_;
    const uint8_t* data_;
};

// An IDX file's bytes in order, inflated when they are gzip. Mirrors zlib's
// gzread, which this replaced so that memory buffers read the same way:
// concatenated gzip members are one stream, and bytes after the last member
// that do not start another are ignored.
class IdxStream {
public:
    IdxStream(const std::string& origin, Source& src, bool gzip)
        : origin_(origin), src_(src), gzip_(gzip) {
        if (gzip_) {
            if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) fail(origin, "cannot start zlib");
            inflating_ = true;
            buf_.resize(kBuffer);
        }
    }
    ~IdxStream() {
        if (inflating_) inflateEnd(&zs_);
    }
    IdxStream(const IdxStream&) = delete;
    IdxStream& operator=(const IdxStream&) = delete;

    // Up to n bytes; fewer only at the clean end of the data.
    size_t read(uint8_t* dst, size_t n) {
        if (!gzip_) {
            const size_t got = size_t(std::min<uint64_t>(n, src_.size() - pos_));
            src_.read(pos_, dst, got);
            pos_ += got;
            return got;
        }
        size_t total = 0;
        while (total < n && !ended_) {
            if (zs_.avail_in == 0 && !refill())
                fail(origin_, "truncated gzip data (unexpected end of file)");
            const size_t want = std::min<size_t>(n - total, size_t(1) << 30);
            zs_.next_out = dst + total;
            zs_.avail_out = uInt(want);
            const int ret = inflate(&zs_, Z_NO_FLUSH);
            total += want - zs_.avail_out;
            if (ret == Z_STREAM_END) {
                next_member();
            } else if (ret != Z_OK && !(ret == Z_BUF_ERROR && zs_.avail_in == 0)) {
                fail(origin_, std::string("corrupt gzip data (") +
                                  (zs_.msg ? zs_.msg : "compressed data error") + ")");
            }
        }
        return total;
    }

    // Passes over n bytes; returns how many there were (fewer only at the
    // clean end of the data).
    uint64_t skip(uint64_t n) {
        if (!gzip_) {
            const uint64_t got = std::min<uint64_t>(n, src_.size() - pos_);
            pos_ += got;
            return got;
        }
        std::vector<uint8_t> sink(size_t(std::min<uint64_t>(n, kBuffer)));
        uint64_t total = 0;
        while (total < n) {
            const size_t want = size_t(std::min<uint64_t>(sink.size(), n - total));
            const size_t got = read(sink.data(), want);
            total += got;
            if (got < want) break;
        }
        return total;
    }

    // Appends n bytes to out in pieces, so a false size claimed by a header
    // costs no more memory than the data that is really there. Returns how
    // many were appended.
    size_t append(std::vector<uint8_t>& out, size_t n) {
        constexpr size_t kPiece = size_t(1) << 20;
        size_t total = 0;
        while (total < n) {
            const size_t want = std::min(kPiece, n - total);
            const size_t at = out.size();
            out.resize(at + want);
            const size_t got = read(out.data() + at, want);
            total += got;
            if (got < want) {
                out.resize(at + got);
                break;
            }
        }
        return total;
    }

private:
    static constexpr size_t kBuffer = size_t(1) << 16;

    // Moves what zlib has not consumed to the front of the buffer and reads
    // more behind it; false if the input has no more.
    bool refill() {
        const size_t keep = zs_.avail_in;
        if (keep) std::memmove(buf_.data(), zs_.next_in, keep);
        const size_t more = size_t(std::min<uint64_t>(buf_.size() - keep, src_.size() - pos_));
        src_.read(pos_, buf_.data() + keep, more);
        pos_ += more;
        zs_.next_in = buf_.data();
        zs_.avail_in = uInt(keep + more);
        return more > 0;
    }

    // After a member's end: go on if another member follows, else stop.
    void next_member() {
        if (zs_.avail_in < 2) refill();
        if (zs_.avail_in >= 2 && zs_.next_in[0] == 0x1f && zs_.next_in[1] == 0x8b) {
            inflateReset(&zs_);
        } else {
            ended_ = true;
        }
    }

    const std::string& origin_;
    Source& src_;
    bool gzip_;
    uint64_t pos_ = 0;
    z_stream zs_{};
    bool inflating_ = false;
    bool ended_ = false;
    std::vector<uint8_t> buf_;
};

// ---- pixels to model inputs -------------------------------------------------

// torchvision's ToTensor (byte / 255 in float32) then Normalize(0.5, 0.5)
// ((x - 0.5) / 0.5), in float32 as torch does on the CPU. The project's
// reference writes 2 * x - 1, which is the same bits: scaling by 2 commutes
// with rounding.
const std::array<float, 256>& input_levels() {
    static const std::array<float, 256> table = [] {
        std::array<float, 256> t{};
        for (int b = 0; b < 256; ++b) {
            const float x = float(b) / 255.0f;
            t[size_t(b)] = (x - 0.5f) / 0.5f;
        }
        return t;
    }();
    return table;
}

// Interleaved 8-bit pixels with `from` channels (1 gray, 2 gray+alpha, 3 RGB,
// 4 RGBA) to `to` channels (1 or 3), as PIL's convert("L") / convert("RGB").
std::vector<uint8_t> convert_channels(const uint8_t* src, size_t pixels, size_t from, size_t to) {
    std::vector<uint8_t> out(pixels * to);
    for (size_t i = 0; i < pixels; ++i) {
        const uint8_t* p = src + i * from;
        if (to == 1) {
            // PIL's L24 fixed-point ITU-R 601-2 luma, rounded half up.
            out[i] = from >= 3 ? uint8_t((p[0] * 19595u + p[1] * 38470u + p[2] * 7471u + 0x8000u) >> 16)
                               : p[0];
        } else {
            for (size_t c = 0; c < 3; ++c) out[i * 3 + c] = from >= 3 ? p[c] : p[0];
        }
    }
    return out;
}

// Appends one interleaved 8-bit image that already has the batch's channel
// count, resized to the batch's size when it differs.
void append_image(const std::string& path, ImageBatch& batch, const uint8_t* pixels, size_t h,
                  size_t w) {
    std::vector<uint8_t> resized;
    if (h != batch.h || w != batch.w) {
        try {
            resized = resize_bilinear_pil(pixels, w, h, batch.c, batch.w, batch.h);
        } catch (const Error& e) {
            fail(path, e.what());
        }
        pixels = resized.data();
    }
    const auto& level = input_levels();
    const size_t plane = batch.h * batch.w;
    const size_t at = batch.data.size();
    batch.data.resize(at + batch.c * plane);
    float* out = batch.data.data() + at;
    for (size_t i = 0; i < plane; ++i)
        for (size_t c = 0; c < batch.c; ++c) out[c * plane + i] = level[pixels[i * batch.c + c]];
    ++batch.n;
}

// ---- IDX --------------------------------------------------------------------

// Deflate cannot expand data by more than about 1032 to 1; a gzip header
// claiming more than this is false, whatever the rest of the file holds.
constexpr uint64_t kMaxDeflateRatio = 1100;

const char* idx_type_name(uint8_t t) {
    switch (t) {
        case 0x08: return "unsigned bytes";
        case 0x09: return "signed bytes";
        case 0x0B: return "16-bit integers";
        case 0x0C: return "32-bit integers";
        case 0x0D: return "32-bit floats";
        case 0x0E: return "64-bit floats";
        default: return "unknown type";
    }
}

// The message for a first image at or past the file's last.
[[noreturn]] void past_the_end(const std::string& path, uint64_t first, uint64_t n) {
    fail(path, "offset " + std::to_string(first) + " is past the last image (the file holds " +
                   std::to_string(n) + ")");
}

ImageBatch read_idx(const std::string& path, Source& file, bool gzip, ImageBatch batch,
                    size_t max_images, size_t first) {
    IdxStream in(path, file, gzip);
    uint8_t magic[4];
    const size_t got_magic = in.read(magic, 4);
    if (got_magic < 4)
        fail(path, "truncated IDX header: " + std::to_string(got_magic) + " of 16 bytes");
    if (magic[0] != 0 || magic[1] != 0)
        fail(path, "the gzip data is not an IDX file (it starts with bytes " + hex_bytes(magic, 4) + ")");
    char magic_hex[11];
    std::snprintf(magic_hex, sizeof magic_hex, "0x%02x%02x%02x%02x", magic[0], magic[1], magic[2], magic[3]);
    if (magic[2] != 0x08 || magic[3] != 3)
        fail(path, std::string("IDX magic ") + magic_hex + " (rank " + std::to_string(magic[3]) + ", " +
                       idx_type_name(magic[2]) + ") is not an image file; expected 0x00000803 "
                       "(rank 3 unsigned bytes: N, H, W)" + (magic[3] == 1 ? " - is this a labels file?" : ""));

    uint8_t dims[12];
    const size_t got_dims = in.read(dims, 12);
    if (got_dims < 12)
        fail(path, "truncated IDX header: " + std::to_string(4 + got_dims) + " of 16 bytes");
    auto be32 = [&](size_t i) {
        return uint64_t(dims[i]) << 24 | uint64_t(dims[i + 1]) << 16 | uint64_t(dims[i + 2]) << 8 |
               uint64_t(dims[i + 3]);
    };
    const uint64_t n = be32(0), h = be32(4), w = be32(8);
    if (n == 0) fail(path, "IDX header says the file holds 0 images");
    if (h == 0 || w == 0) fail(path, "IDX header says images are " + hw(h, w) + " pixels");
    uint64_t per = 0, total = 0;
    if (!mul(h, w, per) || !mul(per, n, total))
        fail(path, "IDX header sizes overflow: " + std::to_string(n) + " images of " + hw(h, w));
    const std::string claim = "header says " + std::to_string(n) + " images of " + hw(h, w);
    if (!gzip) {
        const uint64_t held = file.size() - 16;
        if (total > held)
            fail(path, "truncated: " + claim + " but the file holds " + std::to_string(held) +
                           " bytes of pixels");
        if (total < held)
            fail(path, claim + " (" + std::to_string(total) + " bytes) but the file holds " +
                           std::to_string(held) + " bytes of pixels");
    } else if (total / kMaxDeflateRatio > file.size()) {
        fail(path, claim + " (" + std::to_string(total) + " bytes), more than a " +
                       std::to_string(file.size()) + "-byte gzip file can hold");
    }

    if (first >= n) past_the_end(path, first, n);
    const uint64_t count = max_images ? std::min<uint64_t>(n - first, max_images) : n - first;
    std::vector<uint8_t> gray;
    const size_t plane = size_t(per);
    uint64_t read_bytes = in.skip(first * per);
    if (read_bytes < first * per)
        fail(path, "truncated: " + claim + " but the " + (gzip ? "gzip data holds " : "file holds ") +
                       std::to_string(read_bytes) + " bytes of pixels");
    for (uint64_t i = 0; i < count; ++i) {
        gray.clear();
        const size_t got = in.append(gray, plane);
        read_bytes += got;
        if (got < plane)
            fail(path, "truncated: " + claim + " but the " + (gzip ? "gzip data holds " : "file holds ") +
                           std::to_string(read_bytes) + " bytes of pixels");
        if (batch.c == 1) {
            append_image(path, batch, gray.data(), size_t(h), size_t(w));
        } else {
            const auto rgb = convert_channels(gray.data(), plane, 1, 3);
            append_image(path, batch, rgb.data(), size_t(h), size_t(w));
        }
    }
    // Having read everything, make sure nothing follows; for gzip this also
    // reaches the trailer, whose checksum catches corrupted pixels.
    if (first + count == n) {
        uint8_t extra;
        if (in.read(&extra, 1) != 0)
            fail(path, claim + " but more data follows them");
    }
    return batch;
}

// ---- PNG --------------------------------------------------------------------

// A decoded PNG may be far larger than its file; this bounds the memory one
// image can take (8192 x 8192).
constexpr uint64_t kMaxPngPixels = uint64_t(1) << 26;

// Walks the chunks up to IEND, checking that each one's declared length lies
// inside the file. stb_image allocates for an IDAT chunk's declared length
// (rounded up to a power of two) before it reads it, so an 86-byte file could
// otherwise make it ask for 2 GiB.
void check_png_chunks(const std::string& path, const std::vector<uint8_t>& bytes) {
    size_t at = 8;
    while (bytes.size() - at >= 8) {
        const uint64_t len = uint64_t(bytes[at]) << 24 | uint64_t(bytes[at + 1]) << 16 |
                             uint64_t(bytes[at + 2]) << 8 | uint64_t(bytes[at + 3]);
        const std::string type(reinterpret_cast<const char*>(bytes.data()) + at + 4, 4);
        if (len + 12 > bytes.size() - at)
            fail(path, "malformed or truncated PNG (" + printable(type) + " chunk of " +
                           std::to_string(len) + " bytes runs past the end of the file)");
        if (type == "IEND") return;
        at += size_t(len) + 12;
    }
}

ImageBatch read_png(const std::string& path, Source& file, ImageBatch batch) {
    if (file.size() > uint64_t(INT32_MAX)) fail(path, "PNG file is over 2 GiB");
    std::vector<uint8_t> bytes(size_t(file.size()));
    file.read(0, bytes.data(), bytes.size());
    // The first four bytes chose PNG; say so when the rest of the signature
    // is wrong (stb_image would only say "unknown image type").
    static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (bytes.size() < 8 || std::memcmp(bytes.data(), kSignature, 8) != 0)
        fail(path, "malformed PNG (bad signature: " + hex_bytes(bytes.data(), std::min<size_t>(bytes.size(), 8)) + ")");
    check_png_chunks(path, bytes);
    int w = 0, h = 0, comp = 0;
    // stb's reason here is always "unknown image type" (its last format's
    // probe), whatever was wrong with the PNG header.
    if (!stbi_info_from_memory(bytes.data(), int(bytes.size()), &w, &h, &comp))
        fail(path, "malformed PNG (its header is corrupt or truncated)");
    if (w <= 0 || h <= 0) fail(path, "malformed PNG (empty image)");
    if (uint64_t(w) * uint64_t(h) > kMaxPngPixels)
        fail(path, "PNG is " + hw(uint64_t(h), uint64_t(w)) + ", over the limit of " +
                       std::to_string(kMaxPngPixels) + " pixels");
    // 8 bits per sample whatever the PNG's depth, as Pillow reduces them:
    // 16-bit gray opens as mode "I" and convert() clips it at 255; every
    // other 16-bit colour type it reads by the high byte, as stb does.
    const bool gray16 = comp == 1 && stbi_is_16_bit_from_memory(bytes.data(), int(bytes.size()));
    std::vector<uint8_t> clipped;
    std::unique_ptr<uint8_t, void (*)(void*)> decoded(nullptr, stbi_image_free);
    const uint8_t* pixels = nullptr;
    if (gray16) {
        std::unique_ptr<uint16_t, void (*)(void*)> wide(
            stbi_load_16_from_memory(bytes.data(), int(bytes.size()), &w, &h, &comp, 0),
            stbi_image_free);
        if (wide) {
            clipped.resize(size_t(w) * size_t(h) * size_t(comp));
            for (size_t i = 0; i < clipped.size(); ++i)
                clipped[i] = uint8_t(std::min<uint16_t>(wide.get()[i], 255));
            pixels = clipped.data();
        }
    } else {
        decoded.reset(stbi_load_from_memory(bytes.data(), int(bytes.size()), &w, &h, &comp, 0));
        pixels = decoded.get();
    }
    if (!pixels) fail(path, std::string("malformed or truncated PNG (") + printable(stbi_failure_reason()) + ")");
    if (comp < 1 || comp > 4) fail(path, "PNG with " + std::to_string(comp) + " channels");
    const size_t pixel_count = size_t(w) * size_t(h);
    // Channels first, then the resize, as Image.open(p).convert(mode) then
    // Resize would do.
    if (size_t(comp) == batch.c) {
        append_image(path, batch, pixels, size_t(h), size_t(w));
    } else {
        const auto converted = convert_channels(pixels, pixel_count, size_t(comp), batch.c);
        append_image(path, batch, converted.data(), size_t(h), size_t(w));
    }
    return batch;
}

// ---- .npy -------------------------------------------------------------------

// The few Python literals a .npy header dict holds.
struct PyValue {
    enum Kind { String, Int, Bool, None, Sequence, Dict } kind = None;
    std::string text;                  // String
    uint64_t number = 0;               // Int (non-negative)
    bool truth = false;                // Bool
    std::vector<PyValue> items;        // Sequence; Dict as key, value, key, value...
};

class PyLiteralParser {
public:
    PyLiteralParser(const std::string& path, const std::string& s) : path_(path), s_(s) {}

    PyValue parse_document() {
        PyValue v = value(0);
        skip_space();
        if (i_ != s_.size()) bad("unexpected text after the header dict");
        return v;
    }

private:
    [[noreturn]] void bad(const std::string& what) {
        fail(path_, "malformed .npy header: " + what + " at offset " + std::to_string(i_));
    }
    void skip_space() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    bool eat(char c) {
        skip_space();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    // Items up to `close`, separated by commas, a trailing comma allowed.
    void items(PyValue& v, char close, int depth, bool dict) {
        while (!eat(close)) {
            v.items.push_back(value(depth + 1));
            if (dict) {
                if (!eat(':')) bad("expected ':'");
                v.items.push_back(value(depth + 1));
            }
            if (eat(close)) return;
            if (!eat(',')) bad("expected ',' or '" + std::string(1, close) + "'");
        }
    }
    PyValue value(int depth) {
        if (depth > 16) bad("nested too deeply");
        skip_space();
        if (i_ >= s_.size()) bad("unexpected end");
        PyValue v;
        const char c = s_[i_];
        if (c == '{' || c == '(' || c == '[') {
            ++i_;
            v.kind = c == '{' ? PyValue::Dict : PyValue::Sequence;
            items(v, c == '{' ? '}' : c == '(' ? ')' : ']', depth, c == '{');
        } else if (c == '\'' || c == '"') {
            v.kind = PyValue::String;
            const size_t end = s_.find(c, i_ + 1);
            if (end == std::string::npos) bad("unterminated string");
            v.text = s_.substr(i_ + 1, end - i_ - 1);
            i_ = end + 1;
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            v.kind = PyValue::Int;
            while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) {
                if (!mul(v.number, 10, v.number) ||
                    __builtin_add_overflow(v.number, uint64_t(s_[i_] - '0'), &v.number))
                    bad("number too large");
                ++i_;
            }
            if (i_ < s_.size() && s_[i_] == 'L') ++i_;  // Python 2 longs
        } else {
            const size_t start = i_;
            while (i_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[i_]))) ++i_;
            const std::string word = s_.substr(start, i_ - start);
            if (word == "True" || word == "False") {
                v.kind = PyValue::Bool;
                v.truth = word == "True";
            } else if (word == "None") {
                v.kind = PyValue::None;
            } else {
                i_ = start;
                bad("unexpected character '" + printable(std::string(1, c)) + "'");
            }
        }
        return v;
    }

    const std::string& path_;
    const std::string& s_;
    size_t i_ = 0;
};

// numpy itself refuses headers over 10000 bytes by default.
constexpr uint64_t kMaxNpyHeader = uint64_t(1) << 20;

ImageBatch read_npy(const std::string& path, Source& file, ImageBatch batch, size_t max_images,
                    size_t first) {
    uint8_t prefix[12] = {};
    if (file.size() < 10) fail(path, "truncated .npy header: " + std::to_string(file.size()) + " bytes");
    file.read(0, prefix, std::min<uint64_t>(file.size(), 12));
    const int major = prefix[6], minor = prefix[7];
    if (major != 1 && major != 2)
        fail(path, ".npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                       " is not supported (1.0 or 2.0)");
    uint64_t header_len = 0, header_at = 0;
    if (major == 1) {
        header_len = uint64_t(prefix[8]) | uint64_t(prefix[9]) << 8;
        header_at = 10;
    } else {
        if (file.size() < 12) fail(path, "truncated .npy header: " + std::to_string(file.size()) + " bytes");
        header_len = uint64_t(prefix[8]) | uint64_t(prefix[9]) << 8 | uint64_t(prefix[10]) << 16 |
                     uint64_t(prefix[11]) << 24;
        header_at = 12;
    }
    if (header_len > file.size() - header_at)
        fail(path, "truncated .npy header: it says " + std::to_string(header_len) +
                       " bytes but the file holds " + std::to_string(file.size() - header_at) +
                       " after the prefix");
    if (header_len > kMaxNpyHeader)
        fail(path, ".npy header of " + std::to_string(header_len) + " bytes is implausibly large");
    std::string header(size_t(header_len), '\0');
    file.read(header_at, header.data(), header.size());

    const PyValue dict = PyLiteralParser(path, header).parse_document();
    if (dict.kind != PyValue::Dict) fail(path, "malformed .npy header: not a dict");
    auto find = [&](const char* key) -> const PyValue& {
        for (size_t i = 0; i + 1 < dict.items.size(); i += 2)
            if (dict.items[i].kind == PyValue::String && dict.items[i].text == key) return dict.items[i + 1];
        fail(path, std::string("malformed .npy header: no '") + key + "'");
    };
    const PyValue& descr = find("descr");
    if (descr.kind != PyValue::String)
        fail(path, ".npy dtype is a structured type; only '<f4' (little-endian float32) is supported");
    if (descr.text != "<f4")
        fail(path, ".npy dtype is '" + printable(descr.text) + "'; only '<f4' (little-endian float32) is supported");
    const PyValue& fortran = find("fortran_order");
    if (fortran.kind != PyValue::Bool) fail(path, "malformed .npy header: fortran_order is not True or False");
    if (fortran.truth) fail(path, ".npy array is in Fortran order; only C order is supported");
    const PyValue& shape = find("shape");
    if (shape.kind != PyValue::Sequence) fail(path, "malformed .npy header: shape is not a tuple");
    std::string shape_text = "(";
    std::vector<uint64_t> dims;
    for (const auto& d : shape.items) {
        if (d.kind != PyValue::Int) fail(path, "malformed .npy header: shape holds a non-integer");
        dims.push_back(d.number);
        shape_text += (dims.size() > 1 ? ", " : "") + std::to_string(d.number);
    }
    shape_text += dims.size() == 1 ? ",)" : ")";
    if (dims.size() != 4)
        fail(path, ".npy shape " + shape_text + " has " + std::to_string(dims.size()) +
                       " dimensions; expected 4: (N, C, H, W)");
    const uint64_t n = dims[0], c = dims[1], h = dims[2], w = dims[3];
    if (c != batch.c)
        fail(path, ".npy shape " + shape_text + " has " + std::to_string(c) +
                       " channels but the model expects " + std::to_string(batch.c));
    if (h != batch.h || w != batch.w)
        fail(path, ".npy shape " + shape_text + " holds " + hw(h, w) + " images but the model expects " +
                       hw(batch.h, batch.w) + " (.npy input is not resized; resize it first or give PNG/IDX)");
    if (n == 0) fail(path, ".npy shape " + shape_text + " holds 0 images");
    uint64_t values = 0, bytes = 0;
    if (!mul(c * h * w, n, values) || !mul(values, 4, bytes))
        fail(path, ".npy shape " + shape_text + " overflows");
    const uint64_t data_at = header_at + header_len;
    const uint64_t held = file.size() - data_at;
    if (bytes > held)
        fail(path, "truncated: .npy shape " + shape_text + " needs " + std::to_string(bytes) +
                       " bytes of data but the file holds " + std::to_string(held));

    if (first >= n) past_the_end(path, first, n);
    const uint64_t count = max_images ? std::min<uint64_t>(n - first, max_images) : n - first;
    const size_t per = size_t(c * h * w);
    batch.data.resize(size_t(count) * per);
    // Little-endian float32, like every supported target.
    file.read(data_at + uint64_t(first) * per * sizeof(float), batch.data.data(),
              batch.data.size() * sizeof(float));
    for (size_t i = 0; i < batch.data.size(); ++i) {
        const float v = batch.data[i];
        if (!std::isfinite(v) || v < -1.0f || v > 1.0f) {
            const size_t x = i % w, y = i / w % h, ch = i / (w * h) % c, img = first + i / per;
            char value[32];
            std::snprintf(value, sizeof value, "%g", double(v));
            fail(path, ".npy value at [" + std::to_string(img) + ", " + std::to_string(ch) + ", " +
                           std::to_string(y) + ", " + std::to_string(x) + "] is " + value +
                           "; inputs must be finite and within [-1, 1]");
        }
    }
    batch.n = size_t(count);
    return batch;
}

// Checks the model's side, then reads by the format the first bytes name.
ImageBatch read_source(const std::string& path, Source& file, size_t channels, size_t height,
                       size_t width, size_t max_images, size_t first) {
    if (file.size() == 0) fail(path, "empty file");
    uint8_t magic[8] = {};
    const size_t seen = size_t(std::min<uint64_t>(file.size(), 8));
    file.read(0, magic, seen);

    ImageBatch batch;
    batch.c = channels;
    batch.h = height;
    batch.w = width;
    static const uint8_t kPng[4] = {0x89, 'P', 'N', 'G'};
    static const uint8_t kNpy[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    if (seen >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        return read_idx(path, file, true, batch, max_images, first);
    if (seen >= 4 && std::memcmp(magic, kPng, 4) == 0) {
        if (first > 0) past_the_end(path, first, 1);
        return read_png(path, file, batch);
    }
    if (seen >= 6 && std::memcmp(magic, kNpy, 6) == 0) return read_npy(path, file, batch, max_images, first);
    // An IDX magic is two zero bytes, a type code and a rank.
    if (seen >= 3 && magic[0] == 0 && magic[1] == 0 && (magic[2] == 0x08 || magic[2] == 0x09 ||
                                                         (magic[2] >= 0x0B && magic[2] <= 0x0E)))
        return read_idx(path, file, false, batch, max_images, first);
    fail(path, "unknown image format (first bytes " + hex_bytes(magic, seen) +
                   "); expected IDX (plain or gzip), PNG or .npy");
}

void check_model_side(const std::string& path, size_t channels, size_t height, size_t width) {
    if (channels != 1 && channels != 3)
        fail(path, "the model expects " + std::to_string(channels) + " channels; only 1 or 3 are supported");
    if (height == 0 || width == 0)
        fail(path, "the model expects " + hw(height, width) + " images");
}

}  // namespace

ImageBatch read_images(const std::string& path, size_t channels, size_t height, size_t width,
                       size_t max_images, size_t first_image) {
    check_model_side(path, channels, height, width);
    FileSource file(path);
    return read_source(path, file, channels, height, width, max_images, first_image);
}

ImageBatch read_images_from_memory(const void* data, size_t size, const std::string& origin,
                                   size_t channels, size_t height, size_t width,
                                   size_t max_images, size_t first_image) {
    check_model_side(origin, channels, height, width);
    MemorySource bytes(origin, data, size);
    return read_source(origin, bytes, channels, height, width, max_images, first_image);
}

}  // namespace fsvae
