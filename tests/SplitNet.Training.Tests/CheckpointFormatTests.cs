using SplitNet.Models.Bundles;
using SplitNet.Models.Student;
using SplitNet.Models.Teacher;
using SplitNet.Training.Student;
using SplitNet.Training.Teacher;

namespace SplitNet.Training.Tests;

/// <summary>Run folders written before the training loop existed still resume.</summary>
public sealed class CheckpointFormatTests
{
    [Fact]
    public void TeacherCheckpoint_EarlierStateJson_ReadsWithItsEpochsAndSettings()
    {
        using var folder = new TinyData.RunFolder();
        var path = Path.Combine(folder.Path, "state.json");
        File.WriteAllText(path, """
            {"architecture":{"widths":[32,64,128],"blocks_per_stage":2,"classes":10},
             "options":{"epochs":20,"batch_size":128,"max_learning_rate":0.003,"weight_decay":0.0005,"label_smoothing":0.05,"crop_padding":2,"seed":1,"train_limit":0,"test_limit":0},
             "epochs_done":2,"seconds":12.5,
             "history":[{"epoch":1,"train_loss":0.9,"test_accuracy":0.8,"seconds":6},{"epoch":2,"train_loss":0.7,"test_accuracy":0.85,"seconds":6.5}]}
            """);

        var state = BundleJson.Read<TeacherCheckpoint>(path);

        Assert.Equal(2, state.EpochsDone);
        Assert.Equal(12.5, state.Seconds);
        Assert.Equal(new EpochRecord(2, 0.7, 0.85, 6.5), state.History[^1]);
        Assert.Equal(new TeacherTrainingOptions(), state.Options);
        Assert.Equal(TeacherConfig.Default.Widths, state.Architecture.Widths);
    }

    [Fact]
    public void StudentCheckpoint_StateJsonFromBeforeCropPadding_MatchesTheDefaultOptions()
    {
        using var folder = new TinyData.RunFolder();
        var path = Path.Combine(folder.Path, "state.json");
        File.WriteAllText(path, """
            {"options":{"beta":0.5,"stage1_epochs":6,"stage2_epochs":3,"batch_size":128,"stage1_learning_rate":0.001,"stage2_learning_rate":0.0002,
                        "feature_weight":1,"task_weight":0,"straight_through":false,"stage1_tail":false,"cosine_decay":false,"init_from":null,"seed":1,"train_limit":0,"test_limit":0},
             "architecture":{"latent_channels":16,"encoder_width":48,"decoder_width":64,"encoder":"compact"},
             "stage":2,"epochs_done":1,"seconds":30,
             "history":[{"stage":1,"epoch":1,"loss":5,"seconds":10,"terms":{"squared_error":3,"bits":100,"kl":0.2}}]}
            """);

        var state = BundleJson.Read<StudentCheckpoint>(path);

        // The trainer resumes only when these are equal: the new option's default keeps old runs resumable.
        Assert.Equal(new StudentTrainingOptions { Beta = 0.5 }, state.Options);
        Assert.Equal(new StudentConfig(), state.Architecture);
        Assert.Equal((2, 1), (state.Stage, state.EpochsDone));
    }
}
