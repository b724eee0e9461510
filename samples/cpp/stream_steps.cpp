// stream_steps.cpp: the C++ wrapper streaming one image time step by time
// step: after each step it writes the image so far as OUT_DIR/step_NN.pgm
// and prints how much it changed (mean |pixel difference| from the previous
// step), so the image can be shown sharpening while it is computed.
//
//   stream_steps OUT_DIR [MODEL [SEED [INDEX]]]
#include <fsvae/fsvae.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#ifndef FSVAE_SAMPLE_MODEL
#define FSVAE_SAMPLE_MODEL "fashion-mnist.fsvae"
#endif

namespace {

// Binary PGM (one channel; a colour model writes its first plane).
bool write_pgm(const std::string& path, const std::vector<float>& image, uint32_t w, uint32_t h) {
    std::ofstream out(path, std::ios::binary);
    out << "P5\n" << w << " " << h << "\n255\n";
    for (size_t p = 0; p < size_t(w) * h; ++p) {
        const float v = std::clamp((image[p] + 1.0f) * 0.5f * 255.0f + 0.5f, 0.0f, 255.0f);
        out.put(char(static_cast<unsigned char>(v)));
    }
    return bool(out);
}

}  // namespace

int main(int argc, char** argv) try {
    if (argc < 2 || argc > 5) {
        std::fprintf(stderr, "usage: stream_steps OUT_DIR [MODEL [SEED [INDEX]]]\n");
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    const std::string model_path = argc > 2 ? argv[2] : FSVAE_SAMPLE_MODEL;
    const uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 0;
    const uint64_t index = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 0;
    std::filesystem::create_directories(dir);

    const fsvae::api::Model model(model_path);
    const fsvae::api::ModelInfo info = model.info();
    fsvae::api::Session session(model, {.threads = 1, .seed = seed});

    session.begin_generate(index);
    std::vector<float> image(session.image_floats()), previous(image.size(), 0.0f);
    while (session.step()) {
        session.read_image(image);
        double change = 0;
        for (size_t i = 0; i < image.size(); ++i) change += std::fabs(image[i] - previous[i]);
        change /= double(image.size());
        char name[32];
        std::snprintf(name, sizeof name, "step_%02u.pgm", session.steps_done());
        if (!write_pgm((dir / name).string(), image, info.width, info.height)) {
            std::fprintf(stderr, "stream_steps: cannot write %s\n", (dir / name).c_str());
            return 1;
        }
        std::printf("step %2u/%u  mean |change| %.5f  -> %s\n", session.steps_done(),
                    info.time_steps, change, name);
        previous = image;
    }

    const fsvae::api::Counters c = session.counters();
    uint64_t spikes = 0, ops = 0, macs = 0;
    for (const auto& l : c.layers) {
        spikes += l.spikes;
        ops += l.synaptic_ops;
        macs += l.dense_macs;
    }
    std::printf("%llu spikes, %llu synaptic ops (%.1f%% of the %llu dense MACs), %llu latent spikes\n",
                (unsigned long long)spikes, (unsigned long long)ops, 100.0 * double(ops) / double(macs),
                (unsigned long long)macs, (unsigned long long)c.latent_spikes);
    return 0;
} catch (const fsvae::api::Error& e) {
    std::fprintf(stderr, "stream_steps: %s\n", e.what());
    return 1;
} catch (const std::exception& e) {
    std::fprintf(stderr, "stream_steps: %s\n", e.what());
    return 1;
}
